/**
 * What the rest of rlm uses of the sandboxes: the one way in, so that the files behind it can be
 * arranged by the realm they run in without touching their users.
 *
 * `createSandbox` loads the Python sandbox's code only when a Python REPL is asked for: a
 * JavaScript run never loads it.
 */
import { JsSandbox } from './host/js-sandbox.ts';
import type { ReplLanguage, Sandbox, SandboxOptions } from './sandbox.ts';

export { JsSandbox, type JsSandboxOptions } from './host/js-sandbox.ts';
// PythonSandbox itself is not re-exported: that would load it on every run. It lives in
// host/python-sandbox.ts; createSandbox and warmSandbox load it when Python is asked for.
export type { PythonSandboxOptions } from './host/python-sandbox.ts';
export {
  REPL_NAMES,
  sandboxSettings,
  SANDBOX_DEFAULTS,
  type Sandbox,
  type SandboxOptions,
  type SandboxSettings,
  type ReplLanguage,
  type Bridge,
  type ChildOptions,
  type CellResult,
  type ContextValue,
  type JsonValue,
  type RunCellOptions,
} from './sandbox.ts';
export { processWall } from './host/process-wall.ts';
export { MAX_ANSWER_CHARS, MAX_PROMPT_CHARS, MAX_CALLS_IN_FLIGHT } from './limits.ts';

/** Starts a sandbox for `language` with the context loaded once; settles when it is ready for cells. */
export async function createSandbox(language: ReplLanguage, options: SandboxOptions): Promise<Sandbox> {
  if (language === 'python') {
    const { PythonSandbox } = await import('./host/python-sandbox.ts');
    return PythonSandbox.create(options);
  }
  return JsSandbox.create(options);
}

/**
 * Starts a spare REPL process for `language` now, so that the next sandbox does not wait for its
 * engine to boot (CPython takes over a second; a JavaScript REPL about a tenth of one). With
 * `keep`, a Python spare is kept ready after every sandbox, from the first on: for a run whose
 * child RLMs will make sandboxes of their own. Settles once the spare is on its way.
 */
export async function warmSandbox(language: ReplLanguage, options: { keep?: boolean } = {}): Promise<void> {
  if (language === 'javascript') return JsSandbox.warm();
  const { PythonSandbox } = await import('./host/python-sandbox.ts');
  PythonSandbox.warm(options);
}
