/**
 * The run's process's end of the wire to one REPL process (runs in the host). Every frame is
 * checked (shared/frames.ts for size, shared/repl-messages.ts for shape) before a listener sees it; the first frame that
 * fails, or the wire closing under a live process, makes the channel broken: the sandbox then
 * treats the REPL process as crashed (or hostile) and kills it.
 */
import type { Socket } from 'node:net';
import { encodeFrame, readFrames, type FrameLimits } from '../shared/frames.ts';
import { fromReplLimits, readFromRepl, ProtocolViolation, type FromRepl, type ToRepl } from '../shared/repl-messages.ts';

export class ReplChannel {
  readonly #socket: Socket;
  readonly #limits: FrameLimits;
  readonly #listeners = new Set<(message: FromRepl) => void>();
  readonly #broken = new Set<(reason: string, hostile: boolean) => void>();
  #brokenReason: string | undefined;
  #hostile = false;

  constructor(socket: Socket, maxOutputChars: number) {
    this.#socket = socket;
    // Mutable, so that a sandbox taking a warm process sets its own output limit.
    this.#limits = { ...fromReplLimits(maxOutputChars) };
    // A write to a REPL process that has died fails here; its exit is handled elsewhere.
    socket.on('error', () => this.#break('the wire to the REPL process failed', false));
    socket.on('close', () => this.#break('the REPL process closed its wire', false));
    readFrames(
      socket,
      this.#limits,
      (frame) => {
        let message: FromRepl;
        try {
          message = readFromRepl(frame);
        } catch (error) {
          if (!(error instanceof ProtocolViolation)) throw error;
          return this.#break(`it sent ${error.message}`, true);
        }
        for (const listener of [...this.#listeners]) listener(message);
      },
      (error) => this.#break(`it sent ${error.message}`, true),
    );
  }

  /** Sets the output limit the next results are checked against. */
  setMaxOutputChars(maxOutputChars: number): void {
    Object.assign(this.#limits, fromReplLimits(maxOutputChars));
  }

  /** Listens to checked messages; returns the function that stops listening. */
  onMessage(listener: (message: FromRepl) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called once, when the channel breaks (at once if it is broken already); `hostile` when by a bad message. */
  onBroken(listener: (reason: string, hostile: boolean) => void): void {
    if (this.#brokenReason !== undefined) listener(this.#brokenReason, this.#hostile);
    else this.#broken.add(listener);
  }

  get broken(): boolean {
    return this.#brokenReason !== undefined;
  }

  send(message: ToRepl): void {
    if (this.broken || this.#socket.destroyed) return;
    for (const part of encodeFrame(message)) this.#socket.write(part);
  }

  /** Whether the channel keeps the program alive (a warm spare does not). */
  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  #break(reason: string, hostile: boolean): void {
    if (this.#brokenReason !== undefined) return;
    this.#brokenReason = reason;
    this.#hostile = hostile;
    this.#socket.destroy();
    for (const listener of this.#broken) listener(reason, hostile);
    this.#broken.clear();
  }
}
