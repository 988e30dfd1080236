/** Starts a REPL process: an empty environment, Node's permission model, the OS wall, one private folder. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { privateDir } from './context-dir.ts';
import { walledCommand } from './process-wall.ts';
import type { LaunchedRepl } from './process-sandbox.ts';
import { ReplChannel } from './repl-channel.ts';
import type { SandboxSettings } from '../sandbox.ts';

export interface ReplProcessSpec {
  /** The entry module, next to the module that names it (.ts in a checkout, .js when built). */
  entry: URL;
  /** Packages the REPL needs to read (their own folders are allowed). */
  dependencies: string[];
  /** More permission flags, e.g. `--allow-addons` for a native engine. */
  allow: string[];
  /** Prepares the private folder before the process starts (it gets the folder as argv[2]). */
  beforeFork?: (dir: string) => void;
}

/** What the process is started for: its memory cap, and the output limit its messages are checked against. */
export type LaunchSettings = Pick<SandboxSettings, 'memoryLimitMb' | 'maxOutputChars'>;

/** The wire to the REPL process: the fourth file descriptor (frames.ts). */
const WIRE_FD = 3;

/**
 * Starts a REPL process that may read rlm's own code, its engine's packages and one new private
 * folder (mode 0700, for the context), and nothing else: no writes, no child processes, no
 * environment. What `allow` adds is the engine's need, never the model's. Where the machine
 * allows, it runs in namespaces of its own with a memory limit (process-wall.ts).
 */
export function forkRepl(spec: ReplProcessSpec, settings: LaunchSettings): LaunchedRepl {
  const dir = privateDir();
  // rlm's code folder (src/ in a checkout, dist/ when built) and its package.json, not the
  // package root: a checkout's .git and .env stay out of reach.
  const code = fileURLToPath(new URL('../../', import.meta.url));
  const packageJson = fileURLToPath(new URL('../../../package.json', import.meta.url));
  const readable = new Set([code, packageJson, dir]);
  for (const dependency of spec.dependencies) {
    const folder = packageFolder(dependency);
    if (folder) for (const path of throughLinks(folder)) readable.add(path);
  }
  spec.beforeFork?.(dir);
  const args = [
    '--permission',
    ...[...readable].map((path) => `--allow-fs-read=${path}`),
    ...spec.allow,
    '--disable-warning=SecurityWarning',
    fileURLToPath(spec.entry),
    dir,
  ];
  const { command, args: walled } = walledCommand(args, settings.memoryLimitMb);
  const child: ChildProcess = spawn(command, walled, { env: {}, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const channel = new ReplChannel(child.stdio[WIRE_FD] as Socket, settings.maxOutputChars);
  return { child, dir, channel };
}

/**
 * What must be readable to load from `folder` when links lead to it (pnpm, a linked node_modules):
 * where it really is, and each link on the way, which Node's resolver reads. Not the folder
 * under a link as well: Node (24) then refuses the link itself.
 */
function throughLinks(folder: string): string[] {
  try {
    const links: string[] = [];
    for (let at = folder; at !== dirname(at); at = dirname(at)) if (lstatSync(at).isSymbolicLink()) links.push(at);
    return links.length ? [realpathSync(folder), ...links] : [folder];
  } catch {
    // Unreadable here too: the REPL will say what it could not load.
    return [folder];
  }
}

/**
 * The folder of an installed package as Node's resolver reaches it from rlm's code: the first
 * node_modules/<name> up from here, links and all (import.meta.resolve would give the real path,
 * and the resolver in the REPL process reads the links on the way too).
 */
function packageFolder(name: string): string | undefined {
  for (let at = fileURLToPath(new URL('.', import.meta.url)); at !== dirname(at); at = dirname(at)) {
    const candidate = join(at, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  try {
    return dirname(fileURLToPath(import.meta.resolve(`${name}/package.json`)));
  } catch {
    return undefined;
  }
}

/** The module at `path` (no extension) from `base`, as source (.ts, type stripping) or built (.js), like `base` itself. */
export function codeModule(path: string, base: string): URL {
  const extension = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${path}${extension}`, base);
}
