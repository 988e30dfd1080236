/**
 * The JavaScript REPL as a sandbox: a V8 isolate (see isolate-repl.ts) inside a separate Node
 * process (see process-sandbox.ts). Two walls: model code cannot leave the isolate, and if V8
 * itself gives up only the REPL process dies, and is started again.
 */
import { codeModule, forkRepl, type LaunchSettings } from './fork-repl.ts';
import { ProcessSandbox } from './process-sandbox.ts';
import type { SandboxOptions } from '../sandbox.ts';
import { WarmPool } from './warm-pool.ts';

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
  /** Starts the REPL process (or takes the one `warm` started) and loads the context into its isolate once. */
  static async create(options: JsSandboxOptions): Promise<JsSandbox> {
    const sandbox = new JsSandbox('javascript', options, { launch: (settings) => early.take(settings) });
    await sandbox.start();
    return sandbox;
  }

  /**
   * Starts a REPL process now, for the next sandbox to take: a command that will make one (`rlm
   * ask`) boots it while it reads its input and checks the endpoint, instead of after. One only:
   * a JavaScript REPL boots in about a tenth of a second, so later ones are not worth a spare.
   */
  static warm(): void {
    early.fill();
  }

  /** Stops the spare REPL process, if one is waiting. */
  static coolDown(): void {
    early.drain();
  }
}

/** At most one process started ahead of need, by `warm`; never topped up by itself. */
const early = new WarmPool(launchJsRepl, 1, { refills: false });

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
