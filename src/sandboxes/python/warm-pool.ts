/**
 * REPL processes started ahead of need. CPython takes over a second to boot; a spare process
 * boots while nothing waits for it, so a run — and each child RLM — takes one that is ready.
 * A spare has never held a context or run a cell: handing it out shares nothing between runs.
 */
import type { FromRepl } from '../ipc.ts';
import type { LaunchedRepl } from '../process-sandbox.ts';
import { removeDir, trackDir } from '../process-sandbox.ts';

export class WarmPool {
  readonly #launch: () => LaunchedRepl;
  readonly #size: number;
  readonly #spares: LaunchedRepl[] = [];
  readonly #warm = new WeakSet<LaunchedRepl>();
  /** Processes handed out so far. */
  #taken = 0;
  /** Whether to top up after every take, the first included (see `keepFilled`). */
  #keep = false;

  constructor(launch: () => LaunchedRepl, size: number) {
    this.#launch = launch;
    this.#size = size;
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
  take(): LaunchedRepl {
    const spare = this.#spares.shift() ?? this.#launch();
    if (++this.#taken > 1 || this.#keep) void this.#whenWarm(spare).then(() => this.fill());
    return spare;
  }

  /** Tops the pool up after every take from now on: for a caller that knows more REPLs will come. */
  keepFilled(): void {
    this.#keep = true;
  }

  /** Starts spares until the pool holds its size. */
  fill(): void {
    while (this.#spares.length < this.#size) {
      const spare = this.#launch();
      trackDir(spare.dir);
      // A spare never keeps a program alive: it is only worth something if a run comes.
      spare.child.unref();
      spare.child.channel?.unref();
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
    const { child } = repl;
    if (this.#warm.has(repl) || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const onMessage = (message: FromRepl) => {
        if (message.type === 'warm') done();
      };
      const done = () => {
        child.off('message', onMessage);
        child.off('exit', done);
        resolve();
      };
      child.on('message', onMessage);
      child.once('exit', done);
    });
  }

  /** Stops every spare (tests, and programs that want to exit at once). */
  drain(): void {
    for (const spare of this.#spares.splice(0)) spare.child.kill('SIGKILL');
  }
}
