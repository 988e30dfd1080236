/**
 * The wire between the run's process and a REPL process: a pipe of length-prefixed frames, each
 * a JSON header and optional bytes (a value's JSON text, or Python's boot snapshot). Node's own
 * IPC channel is not used: it deserialises whatever the other side wrote inside Node's internals,
 * where a throw (a nesting too deep for V8's deserialiser, malformed JSON) crashes the reader
 * with nothing to catch it. Here every frame is size-checked before it is buffered and parsed
 * in a try/catch, so no byte a breached REPL process writes can throw outside our code.
 *
 *   u32 header bytes · u32 payload bytes · header (UTF-8 JSON) · payload
 */
import type { Socket } from 'node:net';

export interface Frame {
  header: unknown;
  /** Empty when the frame carries no bytes. */
  payload: Buffer;
}

export interface FrameLimits {
  maxHeaderBytes: number;
  maxPayloadBytes: number;
}

/** A frame the reader refuses: too large, or not JSON. The sender is broken or hostile. */
export class FrameError extends Error {}

const PREFIX = 8;
const EMPTY = Buffer.alloc(0);

/**
 * The bytes of one frame. A frame without a payload is one buffer, so that it goes out in one
 * write: a cell's message and its result are most of a trivial cell's trips, and each write is a
 * system call and, often, a wake-up of the reader.
 */
export function encodeFrame(header: unknown, payload: Uint8Array = EMPTY): Buffer[] {
  const json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  const head = Buffer.allocUnsafe(PREFIX + jsonBytes);
  head.writeUInt32LE(jsonBytes, 0);
  head.writeUInt32LE(payload.byteLength, 4);
  head.write(json, PREFIX, 'utf8');
  return payload.byteLength ? [head, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)] : [head];
}

/**
 * Cuts a byte stream into frames. A frame is only gathered once its prefix says it fits the
 * limits, so a sender cannot make the reader hold more than one frame's worth of bytes.
 */
export class FrameReader {
  readonly #limits: FrameLimits;
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(limits: FrameLimits) {
    this.#limits = limits;
  }

  /** Takes more bytes; returns the frames they complete. Throws FrameError on a bad frame. */
  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Frame[] = [];
    while (this.#buffered >= PREFIX) {
      const prefix = this.#peek(PREFIX);
      const headerBytes = prefix.readUInt32LE(0);
      const payloadBytes = prefix.readUInt32LE(4);
      if (headerBytes > this.#limits.maxHeaderBytes)
        throw new FrameError(`a message of ${headerBytes} bytes (at most ${this.#limits.maxHeaderBytes})`);
      if (payloadBytes > this.#limits.maxPayloadBytes)
        throw new FrameError(`a value of ${payloadBytes} bytes (at most ${this.#limits.maxPayloadBytes})`);
      if (this.#buffered < PREFIX + headerBytes + payloadBytes) break;
      const whole = this.#take(PREFIX + headerBytes + payloadBytes);
      let header: unknown;
      try {
        header = JSON.parse(whole.toString('utf8', PREFIX, PREFIX + headerBytes));
      } catch (error) {
        throw new FrameError(`a message that is not JSON (${error instanceof Error ? error.message.slice(0, 100) : 'unreadable'})`);
      }
      frames.push({ header, payload: payloadBytes ? whole.subarray(PREFIX + headerBytes) : EMPTY });
    }
    return frames;
  }

  #peek(bytes: number): Buffer {
    if (this.#chunks[0]!.length < bytes) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  #take(bytes: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const rest = all.subarray(bytes);
    this.#chunks = rest.length ? [rest] : [];
    this.#buffered = rest.length;
    return all.subarray(0, bytes);
  }
}

/**
 * Reads frames from `socket`, calling `onFrame` for each; on a bad frame calls `onError` once and
 * stops reading.
 */
export function readFrames(
  socket: Socket,
  limits: FrameLimits,
  onFrame: (frame: Frame) => void,
  onError: (error: FrameError) => void,
): void {
  const reader = new FrameReader(limits);
  let failed = false;
  socket.on('data', (chunk: Buffer) => {
    if (failed) return;
    let frames: Frame[];
    try {
      frames = reader.push(chunk);
    } catch (error) {
      failed = true;
      socket.pause();
      onError(error instanceof FrameError ? error : new FrameError(String(error)));
      return;
    }
    for (const frame of frames) onFrame(frame);
  });
}
