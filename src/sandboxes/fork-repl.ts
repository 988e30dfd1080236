/** Starts a REPL process: an empty environment, Node's permission model, one private folder. */
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LaunchedRepl } from './process-sandbox.ts';

export interface ReplProcessSpec {
  /** The entry module, next to the module that names it (.ts in a checkout, .js when built). */
  entry: URL;
  /** Packages the REPL needs to read (their node_modules folder is allowed). */
  dependencies: string[];
  /** More permission flags, e.g. `--allow-addons` for a native engine. */
  allow: string[];
  /** Prepares the private folder before the process starts (it gets the folder as argv[2]). */
  beforeFork?: (dir: string) => void;
}

/**
 * Forks a REPL process that may read rlm's own code, its engine's packages and one new private
 * folder (mode 0700, for the context), and nothing else: no writes, no child processes, no
 * environment. What `allow` adds is the engine's need, never the model's.
 */
export function forkRepl(spec: ReplProcessSpec): LaunchedRepl {
  const dir = mkdtempSync(join(tmpdir(), 'rlm-repl-'));
  const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
  const readable = new Set([packageRoot, dir]);
  for (const dependency of spec.dependencies) {
    // The folder that holds the dependency (node_modules), wherever the package manager put it.
    readable.add(dirname(dirname(fileURLToPath(import.meta.resolve(`${dependency}/package.json`)))));
  }
  spec.beforeFork?.(dir);
  const child = fork(fileURLToPath(spec.entry), [dir], {
    env: {},
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    execArgv: ['--permission', ...[...readable].map((path) => `--allow-fs-read=${path}`), ...spec.allow, '--disable-warning=SecurityWarning'],
  });
  return { child, dir };
}

/** A module next to `base`, as source (.ts, type stripping) or built (.js), like `base` itself. */
export function sibling(name: string, base: string): URL {
  const extension = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, base);
}
