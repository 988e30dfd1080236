/**
 * REPL processes started ahead of need. CPython takes over a second to boot; a spare process
 * boots while nothing waits for it, so a run — and each child RLM — takes one that is ready.
 * A spare has never held a context or run a cell: handing it out shares nothing between runs.
 */
import type { LaunchedRepl } from '../process-sandbox.ts';
import { removeDir, trackDir } from '../process-sandbox.ts';

export class WarmPool {
  readonly #launch: () => LaunchedRepl;
  readonly #size: number;
  readonly #spares: LaunchedRepl[] = [];

  constructor(launch: () => LaunchedRepl, size: number) {
    this.#launch = launch;
    this.#size = size;
  }

  /** A spare process if one is ready, else a fresh one; the pool is topped up either way. */
  take(): LaunchedRepl {
    const spare = this.#spares.shift() ?? this.#launch();
    this.fill();
    return spare;
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
      spare.child.once('exit', () => {
        const at = this.#spares.indexOf(spare);
        if (at >= 0) this.#spares.splice(at, 1);
        removeDir(spare.dir);
      });
      this.#spares.push(spare);
    }
  }

  /** Stops every spare (tests, and programs that want to exit at once). */
  drain(): void {
    for (const spare of this.#spares.splice(0)) spare.child.kill('SIGKILL');
  }
}
