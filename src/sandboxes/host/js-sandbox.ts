/**
 * The JavaScript REPL as a sandbox: a V8 isolate (see isolate-repl.ts) inside a separate Node
 * process (see process-sandbox.ts). Two walls: model code cannot leave the isolate, and if V8
 * itself gives up only the REPL process dies, and is started again.
 */
import { codeModule, forkRepl, type LaunchSettings } from './fork-repl.ts';
import { ProcessSandbox } from './process-sandbox.ts';
import type { SandboxOptions } from '../sandbox.ts';

/** What a JavaScript sandbox is made with: the same as any sandbox. */
export type JsSandboxOptions = SandboxOptions;

/**
 * A JavaScript REPL: a V8 isolate with the context loaded once, in a REPL process of its own. The
 * RLM makes these itself; make one directly to run model-written code with the same walls.
 *
 * @example
 * const sandbox = await JsSandbox.create({ context: text, bridge });
 * const { output } = await sandbox.run('print(context.length)');
 * sandbox.dispose();
 */
export class JsSandbox extends ProcessSandbox {
  /** Starts the REPL process and loads the context into its isolate once. */
  static async create(options: JsSandboxOptions): Promise<JsSandbox> {
    const sandbox = new JsSandbox('javascript', options, { launch: launchJsRepl });
    await sandbox.start();
    return sandbox;
  }
}

/**
 * Native addons are allowed because isolated-vm is one; node-gyp-build (its loader) reads
 * /etc/alpine-release to tell musl from glibc.
 */
function launchJsRepl(settings: LaunchSettings) {
  return forkRepl(
    {
      entry: codeModule('../repl-process/js-main', import.meta.url),
      dependencies: ['isolated-vm', 'node-gyp-build', 'acorn'],
      allow: ['--allow-addons', '--allow-fs-read=/etc/alpine-release'],
    },
    settings,
  );
}
