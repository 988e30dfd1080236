/**
 * What the rest of rlm uses of the sandboxes: the one way in, so that the files behind it can be
 * arranged by the realm they run in without touching their users.
 */
export { JsSandbox, type JsSandboxOptions } from './js/js-sandbox.ts';
export { PythonSandbox, type PythonSandboxOptions } from './python/python-sandbox.ts';
export { REPL_NAMES, type Sandbox, type Bridge, type CellResult, type ContextValue } from './sandbox.ts';
export { processWall } from './process-wall.ts';
export { MAX_ANSWER_CHARS, MAX_PROMPT_CHARS, MAX_CALLS_IN_FLIGHT } from './limits.ts';
