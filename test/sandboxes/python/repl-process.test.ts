/**
 * The Python REPL process, the second and third walls: an empty environment, Node's permission
 * model, and recovery when the process is killed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PythonSandbox } from '../../../src/sandboxes/host/python-sandbox.ts';
import { recordingBridge, replProcesses } from '../support.ts';

/** The Python REPL process's entry module, as it appears in its command line. */
const ENTRY = /repl-process[/\\]python-main\.[jt]s$/;

after(() => PythonSandbox.coolDown());

describe('the Python REPL process', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  it('runs with an empty environment and permissions to read only rlm, Pyodide and its own folder; workers, but no addons, writes or processes', async () => {
    process.env.RLM_TEST_SECRET = 'sk-python-process-secret';
    const sandbox = await PythonSandbox.create({ context: 'secret context', bridge: recordingBridge().bridge });
    try {
      const repls = replProcesses(ENTRY);
      assert.ok(repls.length > 0, 'a REPL process is running');
      for (const repl of repls) {
        const names = repl.env
          .split('\0')
          .filter(Boolean)
          .map((v) => v.split('=')[0]);
        assert.deepEqual(
          names.filter((n) => !n!.startsWith('NODE_CHANNEL_')),
          [],
        );
        assert.ok(!repl.env.includes('sk-python-process-secret'));
        assert.ok(repl.argv.includes('--permission'));
        assert.ok(repl.argv.includes('--allow-worker'));
        const reads = repl.argv.filter((a) => a.startsWith('--allow-fs-read=')).map((a) => a.slice('--allow-fs-read='.length));
        for (const path of reads)
          assert.ok(path !== '/' && !/^\/(etc|home|root|tmp)\/?$/.test(path) && path !== process.env.HOME, `too wide: ${path}`);
        for (const flag of repl.argv) assert.doesNotMatch(flag, /--allow-(fs-write|child-process|addons|wasi)/);
      }
    } finally {
      delete process.env.RLM_TEST_SECRET;
      sandbox.dispose();
    }
  });

  it('is started again when it is killed between cells: the next cell has the context and says its variables are gone', async () => {
    const sandbox = await PythonSandbox.create({ context: 'the context', bridge: recordingBridge().bridge });
    try {
      assert.equal((await sandbox.run('kept = 1\nkept')).output, '1\n');
      // The sandbox's process and the spare alike: the sandbox must recover either way.
      for (const repl of replProcesses(ENTRY)) process.kill(repl.pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const next = await sandbox.run("context + ' ' + str('kept' in globals())");
      assert.equal(next.output, "'the context False'\n");
      assert.equal(next.restarted, true);
      assert.match(next.error ?? '', /after the previous cell ended/);
    } finally {
      sandbox.dispose();
    }
  });

  it('replaces the worker of a cell that ignores the interrupt, after it computed on for a while, and the process keeps the context', async () => {
    const sandbox = await PythonSandbox.create({ context: 'the context', bridge: recordingBridge().bridge });
    try {
      await sandbox.run('kept = 1');
      const stubborn = 'while True:\n    try:\n        while True: pass\n    except KeyboardInterrupt:\n        pass';
      const result = await sandbox.run(stubborn, { timeoutMs: 300 });
      assert.match(result.error ?? '', /did not stop when interrupted, so the REPL was restarted/);
      assert.equal(result.restarted, true);
      // By the REPL itself, well before the host would kill its process as stuck (15.3 s).
      assert.ok(result.durationMs < 12_000, `replaced in ${Math.round(result.durationMs)} ms`);
      assert.equal((await sandbox.run("context + ' ' + str('kept' in globals())")).output, "'the context False'\n");
    } finally {
      sandbox.dispose();
    }
  });
});
