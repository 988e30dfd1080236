/** Where rlm keeps what lasts across runs (the sub-call memo, the Python boot snapshot). */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$XDG_CACHE_HOME/rlm`, else `~/.cache/rlm`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'rlm');
}
