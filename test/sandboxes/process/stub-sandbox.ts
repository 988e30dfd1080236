/** The host's real ProcessSandbox over the stub REPL process (stub-repl.ts), for the tests of the process wall. */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkRepl } from '../../../src/sandboxes/host/fork-repl.ts';
import { ProcessSandbox } from '../../../src/sandboxes/host/process-sandbox.ts';
import type { SandboxOptions } from '../../../src/sandboxes/sandbox.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

export class StubSandbox extends ProcessSandbox {
  static async create(options: SandboxOptions): Promise<StubSandbox> {
    const sandbox = new StubSandbox('javascript', options, {
      launch: (settings) =>
        forkRepl({ entry: new URL('./stub-repl.ts', import.meta.url), dependencies: [], allow: [`--allow-fs-read=${HERE}`] }, settings),
    });
    await sandbox.start();
    return sandbox;
  }
}
