/**
 * What the operating system adds around a REPL process (runs in the host), beyond Node's
 * permission model: a cap on its memory (RLIMIT_DATA, which V8's large reservations of address
 * space do not touch, unlike RLIMIT_AS), and, where Linux lets an unprivileged user make
 * namespaces, a network namespace with no interfaces and a PID namespace of its own, so that a
 * breached REPL can open no connection and signal no process of the user (the run's process
 * included). `--kill-child` ties the REPL to its wrapper: killing the wrapper kills the REPL.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ProcessWall {
  /** True when REPL processes run in their own user, PID and network namespaces. */
  namespaces: boolean;
  /** True when REPL processes get an OS limit on their data memory. */
  dataLimit: boolean;
  /** Why a part of the wall is missing, when one is. */
  missing?: string;
}

/**
 * The user keeps its own id inside (no capabilities once the REPL is exec'd); util-linux before
 * 2.38 knows only the root mapping, which keeps capabilities, but only over the new namespaces.
 */
const UNSHARE_FLAGS = [
  ['--user', '--pid', '--fork', '--net', '--map-current-user', '--kill-child'],
  ['--user', '--pid', '--fork', '--net', '--map-root-user', '--kill-child'],
];
const SHELL = '/bin/sh';

/**
 * Memory a Node REPL process counts against RLIMIT_DATA beyond its engine's heap: Node, its
 * threads' arenas, the isolate's or Pyodide's code and reserved memory (measured on Linux x64 with Node 24:
 * 1.15 GiB for a JavaScript REPL at rest, 1.35 GiB for a Python one, whatever its heap limit).
 */
export const DATA_OVERHEAD_MB = 1536;

let probed: { wall: ProcessWall; unshare?: string[] } | undefined;

/** Finds out once per process what this machine allows; later calls return the same answer. */
export function processWall(): ProcessWall {
  return probe().wall;
}

function probe(): { wall: ProcessWall; unshare?: string[] } {
  if (probed) return probed;
  if (process.platform !== 'linux') {
    probed = { wall: { namespaces: false, dataLimit: false, missing: `no namespaces or data limit on ${process.platform}` } };
  } else {
    const unshare = ['/usr/bin/unshare', '/bin/unshare'].find((path) => existsSync(path));
    const shell = existsSync(SHELL);
    const flags =
      unshare &&
      UNSHARE_FLAGS.find(
        (each) => spawnSync(unshare, [...each, process.execPath, '--version'], { env: {}, stdio: 'ignore', timeout: 10_000 }).status === 0,
      );
    const works = Boolean(flags);
    const missing = [
      ...(works ? [] : [unshare ? 'user namespaces are not allowed here (unshare failed)' : 'no unshare command']),
      ...(shell ? [] : ['no /bin/sh to set the data limit']),
    ];
    probed = {
      wall: { namespaces: works, dataLimit: shell, ...(missing.length ? { missing: missing.join('; ') } : {}) },
      ...(flags ? { unshare: [unshare!, ...flags] } : {}),
    };
  }
  if (probed.wall.missing) {
    process.emitWarning(`REPL processes run without part of their OS wall: ${probed.wall.missing}`, { code: 'RLM_REPL_WALL' });
  }
  return probed;
}

/** The command that starts `node args` inside the wall, capped at `memoryLimitMb` plus Node's overhead. */
export function walledCommand(args: string[], memoryLimitMb: number): { command: string; args: string[] } {
  const { wall, unshare } = probe();
  const node = unshare ? [...unshare, process.execPath, ...args] : [process.execPath, ...args];
  if (!wall.dataLimit) return { command: node[0]!, args: node.slice(1) };
  const kib = String((memoryLimitMb + DATA_OVERHEAD_MB) * 1024);
  // Soft and hard limit both, so the REPL cannot raise it; a shell that cannot set it still starts the REPL.
  return { command: SHELL, args: ['-c', 'ulimit -d "$1" 2>/dev/null; shift; unset PWD OLDPWD; exec "$@"', 'sh', kib, ...node] };
}
