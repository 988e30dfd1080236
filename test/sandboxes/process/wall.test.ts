/**
 * The second wall, as a breached REPL process would meet it: it reads rlm's code and its engines
 * but not the package root (a checkout's .git and .env); where the machine allows namespaces it
 * reaches no network and can signal no process of the user; killing its wrapper kills it; what it
 * prints to stderr still reaches the run's process.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { processWall } from '../../../src/sandboxes/host/process-wall.ts';
import { recordingBridge, sleep } from '../support.ts';
import { StubSandbox } from './stub-sandbox.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const linux = process.platform === 'linux';

/** What happens when the REPL process tries `attempt` (code returning a promise): "ok" or the error's code. */
const outcome = (attempt: string) => `try { await (async () => { ${attempt} })(); return "ok" } catch (e) { return e.code ?? e.message }`;

function descendants(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    return children.flatMap((child) => [child, ...descendants(child)]);
  } catch {
    return [];
  }
}

/** Whether `pid` is a live process (a zombie has died; only its parent has yet to hear). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('the second wall', () => {
  it("reads rlm's code but not the package root, its .git or a .env", async () => {
    const sandbox = await StubSandbox.create({ context: 'c', bridge: recordingBridge().bridge });
    try {
      const read = (path: string) =>
        sandbox.run(outcome(`(await require('node:fs')).readFileSync(${JSON.stringify(path)})`)).then((r) => r.output.trim());
      assert.equal(await read(`${ROOT}src/sandboxes/limits.ts`), 'ok');
      assert.equal(await read(`${ROOT}package.json`), 'ok');
      assert.equal(await read(`${ROOT}README.md`), 'ERR_ACCESS_DENIED');
      assert.equal(await read(`${ROOT}.git/HEAD`), 'ERR_ACCESS_DENIED');
      assert.equal(await read(`${ROOT}.env`), 'ERR_ACCESS_DENIED');
    } finally {
      sandbox.dispose();
    }
  });

  it("writes to stderr reach the run's process when the REPL process dies", async () => {
    const sandbox = await StubSandbox.create({ context: 'c', bridge: recordingBridge().bridge });
    try {
      const result = await sandbox.run(
        'process.stderr.write("Error: the last words of a dying REPL\\n", () => process.exit(3)); await new Promise(() => {})',
      );
      assert.match(result.error ?? '', /the last words of a dying REPL/);
      assert.equal(result.restarted, true);
    } finally {
      sandbox.dispose();
    }
  });

  describe('namespaces', { skip: !(linux && processWall().namespaces) && 'no user namespaces here' }, () => {
    it('opens no connection, even to the loopback', async () => {
      let connected = 0;
      const server = createServer((socket) => {
        connected++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const sandbox = await StubSandbox.create({ context: 'c', bridge: recordingBridge().bridge });
      try {
        const connect = `const net = await require('node:net'); await new Promise((resolve, reject) => { const s = net.connect(${port}, '127.0.0.1', () => { s.destroy(); resolve(); }); s.on('error', reject); })`;
        assert.match((await sandbox.run(outcome(connect))).output, /ENETUNREACH|ECONNREFUSED/);
        assert.equal(connected, 0);
      } finally {
        sandbox.dispose();
        server.close();
      }
    });

    it("can signal neither the run's process nor any other process of the user", async () => {
      const sandbox = await StubSandbox.create({ context: 'c', bridge: recordingBridge().bridge });
      try {
        assert.equal((await sandbox.run(outcome(`process.kill(${process.pid}, 0)`))).output, 'ESRCH\n');
        assert.equal((await sandbox.run(outcome(`process.kill(${process.ppid}, 0)`))).output, 'ESRCH\n');
        assert.equal((await sandbox.run('return process.ppid')).output, '0\n');
      } finally {
        sandbox.dispose();
      }
    });

    it('dies with its wrapper', async () => {
      const sandbox = await StubSandbox.create({ context: 'c', bridge: recordingBridge().bridge });
      try {
        const [wrapper, ...inside] = descendants(process.pid);
        assert.ok(wrapper && inside.length > 0, 'the REPL runs under a wrapper');
        process.kill(wrapper, 'SIGKILL');
        await sleep(500);
        for (const pid of inside) assert.ok(!running(pid), `process ${pid} outlived its wrapper`);
        // And the sandbox starts a new one.
        const next = await sandbox.run('return 1');
        assert.equal(next.output, '1\n');
        assert.equal(next.restarted, true);
      } finally {
        sandbox.dispose();
      }
    });
  });
});
