/**
 * REPL processes started ahead of need. CPython takes over a second to boot; a spare process
 * boots while nothing waits for it, so a run — and each child RLM — takes one that is ready.
 * A spare has never held a context or run a cell: handing it out shares nothing between runs.
 */
import type { LaunchSettings } from './fork-repl.ts';
import type { LaunchedRepl } from './process-sandbox.ts';
import { killRepl, removeDir, trackDir } from './process-sandbox.ts';
import { sandboxSettings } from '../sandbox.ts';

export class WarmPool {
  readonly #launch: (settings: LaunchSettings) => LaunchedRepl;
  readonly #size: number;
  readonly #spares: LaunchedRepl[] = [];
  readonly #warm = new WeakSet<LaunchedRepl>();
  /** Processes handed out so far. */
  #taken = 0;
  /** Whether to top up after every take, the first included (see `keepFilled`). */
  #keep = false;
  /** Whether taking a spare ever starts another by itself (see the constructor). */
  readonly #refills: boolean;
  /** What spares are started with: the defaults, then what the last sandbox asked for. */
  #settings: LaunchSettings = sandboxSettings({});

  /**
   * With `refills: false` the pool starts spares only when asked (`fill`), never after a take: for
   * an engine that boots fast enough that only a program's very first REPL is worth starting early.
   */
  constructor(launch: (settings: LaunchSettings) => LaunchedRepl, size: number, options: { refills?: boolean } = {}) {
    this.#launch = launch;
    this.#size = size;
    this.#refills = options.refills ?? true;
  }

  /**
   * A spare process if one is ready, else a fresh one. From a program's second process on, the
   * pool is topped up once the process handed out has booted: two boots at once only slow each
   * other down, and the first boot may be the one that makes the snapshot the next starts from.
   * After the first it is not: a program that needed one REPL often needs no other (a run whose
   * sub-calls are plain model calls), and a spare booting beside that run's cells takes the CPU
   * they need (on two cores, a batch of sub-calls took a third longer); whoever asks for a
   * second REPL likely asks for more, and from then on one is kept ready.
   */
  take(settings: LaunchSettings): LaunchedRepl {
    // A spare's memory cap is set when it starts: one made for another cap is of no use.
    if (settings.memoryLimitMb !== this.#settings.memoryLimitMb) this.drain();
    this.#settings = { memoryLimitMb: settings.memoryLimitMb, maxOutputChars: settings.maxOutputChars };
    const spare = this.#spares.shift() ?? this.#launch(this.#settings);
    if (this.#refills && (++this.#taken > 1 || this.#keep)) void this.#whenWarm(spare).then(() => this.fill());
    return spare;
  }

  /** Tops the pool up after every take from now on: for a caller that knows more REPLs will come. */
  keepFilled(): void {
    this.#keep = true;
  }

  /** Starts spares until the pool holds its size. */
  fill(): void {
    while (this.#spares.length < this.#size) {
      const spare = this.#launch(this.#settings);
      trackDir(spare.dir);
      // A spare never keeps a program alive: it is only worth something if a run comes.
      spare.child.unref();
      spare.channel.unref();
      (spare.child.stderr as { unref?: () => void } | null)?.unref?.();
      // Remembered, so that taking a spare that has booted already tops the pool up at once.
      void this.#whenWarm(spare).then(() => this.#warm.add(spare));
      spare.child.once('exit', () => {
        const at = this.#spares.indexOf(spare);
        // Once taken, the folder (and the context in it) belongs to the sandbox that took it.
        if (at < 0) return;
        this.#spares.splice(at, 1);
        removeDir(spare.dir);
      });
      this.#spares.push(spare);
    }
  }

  /** Settles when the REPL process has booted its engine (or has ended). */
  #whenWarm(repl: LaunchedRepl): Promise<void> {
    const { child, channel } = repl;
    if (this.#warm.has(repl) || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const off = channel.onMessage((message) => {
        if (message.type === 'warm') done();
      });
      const done = () => {
        off();
        child.off('exit', done);
        resolve();
      };
      child.once('exit', done);
    });
  }

  /** Stops every spare (tests, and programs that want to exit at once). */
  drain(): void {
    for (const spare of this.#spares.splice(0)) {
      killRepl(spare.child);
      removeDir(spare.dir);
    }
  }
}
