/**
 * The Python REPL as a sandbox: CPython (Pyodide, from the npm package, fully offline) in a
 * worker thread of a separate Node process (see process-sandbox.ts). Three walls: the sealed
 * interpreter (seal.py), a worker stripped of network and module loading, and a process with an
 * empty environment that may read only rlm's code, Pyodide and its own context folder.
 */
import { codeModule, forkRepl, type LaunchSettings } from './fork-repl.ts';
import { ProcessSandbox, type LaunchedRepl } from './process-sandbox.ts';
import type { SandboxOptions } from '../sandbox.ts';
import { placeSnapshot, rememberSnapshot, removeSnapshot, snapshotSource } from './python-snapshot.ts';
import { WarmPool } from './warm-pool.ts';

/** What a Python sandbox is made with: the same as any sandbox. */
export type PythonSandboxOptions = SandboxOptions;

/**
 * One warm process at a time, shared by the runs of this program: it holds nothing of any run
 * (see warm-pool.ts), and booting one per run would put CPython's boot on every run's path.
 */
const pool = new WarmPool(launchPythonRepl, 1);

/**
 * A Python REPL, the paper's: CPython on Pyodide with the context loaded once, in a REPL process
 * of its own; `llm_query` blocks and `llm_query_batched` runs its prompts concurrently.
 */
export class PythonSandbox extends ProcessSandbox {
  /** Takes a warm REPL process and loads the context into its interpreter once. */
  static async create(options: PythonSandboxOptions): Promise<PythonSandbox> {
    const sandbox = new PythonSandbox('python', options, { launch: (settings) => pool.take(settings) });
    await sandbox.start();
    return sandbox;
  }

  /**
   * Boots a spare Python REPL now, so that the next sandbox does not wait for CPython. A spare is
   * kept ready after each later sandbox too once a program has made two; with `keep`, from the
   * first on (a run whose child RLMs will make sandboxes of their own).
   *
   * @example
   * PythonSandbox.warm({ keep: maxDepth > 1 });
   */
  static warm(options: { keep?: boolean } = {}): void {
    if (options.keep) pool.keepFilled();
    pool.fill();
  }

  /** Stops the spare Python REPL, if one is waiting. */
  static coolDown(): void {
    pool.drain();
  }
}

/**
 * Pyodide needs a worker thread (so the main thread can interrupt it); no native addons. The
 * process may also read the snapshot file in the cache when it is to boot from it: that file only.
 */
function launchPythonRepl(settings: LaunchSettings): LaunchedRepl {
  const source = snapshotSource();
  const launched = forkRepl(
    {
      entry: codeModule('../repl-process/python-main', import.meta.url),
      dependencies: ['pyodide'],
      allow: ['--allow-worker', ...(source.from === 'file' ? [`--allow-fs-read=${source.place.path}`] : [])],
      beforeFork: (dir) => placeSnapshot(dir, source),
    },
    settings,
  );
  let first = true;
  const off = launched.channel.onMessage((message) => {
    // Only the first word of a process, sent before it is given any context or code, is taken:
    // whatever it says later might come from model code, and must not reach the cache.
    if (!first) return;
    first = false;
    off();
    if (message.type === 'warm' && message.snapshot) rememberSnapshot(message.snapshot, source);
    removeSnapshot(launched.dir);
  });
  return launched;
}
