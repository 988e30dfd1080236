import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { JsSandbox } from '../../../src/sandboxes/host/js-sandbox.ts';
import { recordingBridge } from './helpers.ts';
import { replProcesses } from '../support.ts';

/** The JavaScript REPL process's entry module, as it appears in its command line. */
const ENTRY = /repl-process[/\\]js-main\.[jt]s$/;

describe('the REPL process: the second wall', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  it('runs with an empty environment and Node permissions that allow reading only its own code and the context', async () => {
    const sandbox = await JsSandbox.create({ context: 'secret context', bridge: recordingBridge().bridge });
    try {
      const [repl] = replProcesses(ENTRY);
      assert.ok(repl, 'a REPL process is running');
      // Only what Node's IPC channel itself needs: no keys, no paths.
      const names = repl.env
        .split('\0')
        .filter(Boolean)
        .map((v) => v.split('=')[0]);
      assert.deepEqual(
        names.filter((n) => !n!.startsWith('NODE_CHANNEL_')),
        [],
      );
      assert.ok(repl.argv.includes('--permission'));
      const reads = repl.argv.filter((a) => a.startsWith('--allow-fs-read=')).map((a) => a.slice('--allow-fs-read='.length));
      assert.ok(reads.length > 0);
      for (const path of reads)
        assert.ok(path !== '/' && !/^\/(etc|home|root)\/?$/.test(path) && path !== process.env.HOME, `too wide: ${path}`);
      for (const flag of repl.argv) assert.doesNotMatch(flag, /--allow-(fs-write|child-process|worker|wasi)/);
    } finally {
      sandbox.dispose();
    }
  });

  it('is gone after dispose, and so is the context file', async () => {
    const sandbox = await JsSandbox.create({ context: 'secret context', bridge: recordingBridge().bridge });
    const [repl] = replProcesses(ENTRY);
    const contextDir = repl!.argv.find((a) => a.includes('rlm-repl-'))!.slice('--allow-fs-read='.length);
    sandbox.dispose();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(replProcesses(ENTRY).length, 0);
    assert.throws(() => readdirSync(contextDir), { code: 'ENOENT' });
  });

  it('is started again when it is killed between cells, and the next cell says its variables are gone', async () => {
    const sandbox = await JsSandbox.create({ context: 'ctx', bridge: recordingBridge().bridge });
    try {
      assert.equal((await sandbox.run('const kept = 1; kept')).output, '1\n');
      process.kill(replProcesses(ENTRY)[0]!.pid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const next = await sandbox.run('typeof kept + " " + context');
      assert.equal(next.output, 'undefined ctx\n');
      assert.equal(next.restarted, true);
      assert.match(next.error ?? '', /after the previous cell ended/);
    } finally {
      sandbox.dispose();
    }
  });
});
