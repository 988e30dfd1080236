/**
 * Finding 10: the second wall, the REPL process itself. Model code cannot be shown to breach its
 * engine here, so the process's confinement is checked directly, while a real run's cell is
 * waiting: where Linux lets a user make namespaces, its network and PID namespaces are not the
 * host's; its permission flags do not open the package root (a checkout's .git, .env), nor allow
 * writes or child processes; and a process started with exactly its flags cannot read .git.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { repl } from '../../src/testing/index.ts';
import { assertAnswered, attackRun, cmdlineOf, finalTurn, LANGUAGES, Watch } from './support.ts';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GIT = `${PACKAGE_ROOT}.git`;
const namespacesAllowed =
  spawnSync('unshare', ['--user', '--pid', '--fork', '--net', '--map-root-user', 'true'], { stdio: 'ignore' }).status === 0;

const WAITING_CELL = { javascript: "await llm_query('slow')\nprint('done')", python: "llm_query('slow')\nprint('done')" } as const;

interface Seen {
  pid: number;
  cmdline: string[];
  ns: { net: string; pid: string };
}

async function replWhileRunning(language: 'javascript' | 'python'): Promise<Seen> {
  let seen: Seen | undefined;
  let started = false;
  const run = await attackRun([repl(WAITING_CELL[language]), finalTurn()], {
    repl: language,
    // The sub-call is slow: the REPL process is looked at while its cell waits.
    sub: async () => {
      started = true;
      for (let i = 0; i < 100 && !seen; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        // The cell's REPL: the one with a sub-call in flight (a warm spare may also be there).
        const pid = Watch.replPids().at(-1);
        if (pid === undefined) continue;
        try {
          seen = {
            pid,
            cmdline: cmdlineOf(pid),
            ns: { net: readlinkSync(`/proc/${pid}/ns/net`), pid: readlinkSync(`/proc/${pid}/ns/pid`) },
          };
        } catch {
          // it went meanwhile
        }
      }
      return 'answer';
    },
  });
  try {
    assertAnswered(await run.rlm.run({ context: 'c', query: 'q' }));
  } finally {
    await run.close();
  }
  assert.ok(started, 'the cell made its sub-call');
  assert.ok(seen, "a REPL process (node, running a repl-process entry) was found among this process's descendants");
  return seen;
}

/** The Node flags the REPL process was started with (everything between node and its entry). */
function nodeFlags(cmdline: string[]): string[] {
  const entry = cmdline.findIndex((arg) => /repl-process[/\\](js|python)-main\.(ts|js)$/.test(arg));
  return cmdline.slice(1, entry).filter((arg) => arg.startsWith('--'));
}

describe("finding 10: the REPL process's own confinement", () => {
  for (const language of LANGUAGES) {
    it(`${language}: the REPL process has its own network and PID namespaces`, { timeout: 60_000 }, async (t) => {
      if (!namespacesAllowed) return t.skip('this machine does not let an unprivileged user make namespaces (unshare --user --net failed)');
      const seen = await replWhileRunning(language);
      t.diagnostic(
        `REPL ${seen.pid}: net ${seen.ns.net}, pid ${seen.ns.pid}; host net ${readlinkSync('/proc/self/ns/net')}, pid ${readlinkSync('/proc/self/ns/pid')}`,
      );
      assert.notEqual(seen.ns.net, readlinkSync('/proc/self/ns/net'), "the REPL process shares the host's network namespace");
      assert.notEqual(seen.ns.pid, readlinkSync('/proc/self/ns/pid'), "the REPL process shares the host's PID namespace");
    });

    it(
      `${language}: the REPL process's permissions do not reach the package root's .git, writes or child processes`,
      { timeout: 60_000 },
      async (t) => {
        const seen = await replWhileRunning(language);
        const flags = nodeFlags(seen.cmdline);
        t.diagnostic(`REPL flags: ${flags.join(' ')}`);
        assert.ok(flags.includes('--permission'), "the REPL runs under Node's permission model");
        const readable = flags.filter((f) => f.startsWith('--allow-fs-read=')).map((f) => f.slice('--allow-fs-read='.length));
        assert.ok(!readable.includes('*'), 'the REPL may read everything');
        for (const path of readable) {
          const folder = path.endsWith('/') ? path : `${path}/`;
          assert.ok(!`${GIT}/`.startsWith(folder), `--allow-fs-read=${path} opens the package root's .git`);
        }
        assert.ok(!flags.some((f) => f.startsWith('--allow-fs-write')), 'the REPL may write files');
        assert.ok(!flags.includes('--allow-child-process'), 'the REPL may start processes');
        if (!existsSync(GIT)) return t.diagnostic('no .git in the package root to try reading');
        // A process with exactly the REPL's flags tries to read .git.
        const tried = spawnSync(
          process.execPath,
          [...flags, '-e', `require('node:fs').readFileSync(${JSON.stringify(`${GIT}/HEAD`)}, 'utf8')`],
          { env: {}, encoding: 'utf8', timeout: 20_000 },
        );
        assert.notEqual(tried.status, 0, "a process with the REPL's flags read .git/HEAD");
        assert.match(tried.stderr, /ERR_ACCESS_DENIED/);
      },
    );
  }
});
