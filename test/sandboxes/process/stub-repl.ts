/**
 * A REPL process for the tests of the process wall, served by the real repl-server.ts with the
 * real wire, but whose "engine" runs each cell as an async JavaScript function in the REPL process
 * itself, with the bridge, the cell's signal, and `raw(bytes)` to write to the wire directly: it
 * stands for a REPL process whose engine was breached, so the host's checks can be tested.
 */
import { writeSync } from 'node:fs';
import { sendToHost, serveRepl } from '../../../src/sandboxes/repl-process/repl-server.ts';
import type { CellResult } from '../../../src/sandboxes/sandbox.ts';

const AsyncFunction = (async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;
/** Writes all of `bytes` to the wire (non-blocking: a full pipe is retried). */
const raw = (bytes: Uint8Array) => {
  for (let at = 0; at < bytes.length;) {
    try {
      at += writeSync(3, bytes, at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
};

serveRepl(async (options) => ({
  language: 'javascript' as const,
  async run(code: string, run: { signal?: AbortSignal } = {}): Promise<CellResult> {
    const started = performance.now();
    try {
      const value = await new AsyncFunction('bridge', 'signal', 'sendToHost', 'raw', 'require', code)(
        options.bridge,
        run.signal,
        sendToHost,
        raw,
        (name: string) => import(name),
      );
      return { output: value === undefined ? '' : `${String(value)}\n`, restarted: false, durationMs: performance.now() - started };
    } catch (error) {
      return {
        output: '',
        error: error instanceof Error ? error.message : String(error),
        restarted: false,
        durationMs: performance.now() - started,
      };
    }
  },
  async variable() {
    return { found: false as const, names: [] };
  },
  async addContextFile() {
    return 0;
  },
  dispose() {},
}));
