/**
 * The Python REPL as a sandbox: CPython (Pyodide, from the npm package, fully offline) in a
 * worker thread of a separate Node process (see process-sandbox.ts). Three walls: the sealed
 * interpreter (seal.py), a worker stripped of network and module loading, and a process with an
 * empty environment that may read only rlm's code, Pyodide and its own context folder.
 */
import { forkRepl, sibling } from '../fork-repl.ts';
import type { FromRepl } from '../ipc.ts';
import { ProcessSandbox, type LaunchedRepl, type ProcessSandboxOptions } from '../process-sandbox.ts';
import { placeSnapshot, rememberSnapshot, removeSnapshot } from './snapshot.ts';
import { WarmPool } from './warm-pool.ts';

export type PythonSandboxOptions = ProcessSandboxOptions;

/**
 * One warm process at a time, shared by the runs of this program: it holds nothing of any run
 * (see warm-pool.ts), and booting one per run would put CPython's boot on every run's path.
 */
const pool = new WarmPool(launchPythonRepl, 1);

export class PythonSandbox extends ProcessSandbox {
  /** Takes a warm REPL process and loads the context into its interpreter once. */
  static async create(options: PythonSandboxOptions): Promise<PythonSandbox> {
    const sandbox = new PythonSandbox('python', options, { launch: () => pool.take() });
    await sandbox.start();
    return sandbox;
  }

  /** Boots a spare Python REPL now, so that the next sandbox does not wait for CPython. */
  static warm(): void {
    pool.fill();
  }

  /** Stops the spare Python REPL, if one is waiting. */
  static coolDown(): void {
    pool.drain();
  }
}

/** Pyodide needs a worker thread (so the main thread can interrupt it); no native addons. */
function launchPythonRepl(): LaunchedRepl {
  const launched = forkRepl({ entry: sibling('repl-process', import.meta.url), dependencies: ['pyodide'], allow: ['--allow-worker'], beforeFork: placeSnapshot });
  launched.child.on('message', (message: FromRepl) => {
    if (message.type !== 'warm') return;
    if (message.snapshot) rememberSnapshot(message.snapshot);
    removeSnapshot(launched.dir);
  });
  return launched;
}
