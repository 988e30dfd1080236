import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { JsSandbox } from '../../../src/sandboxes/host/js-sandbox.ts';
import { recordingBridge } from './helpers.ts';
import { replProcesses } from '../support.ts';

const ENTRY = /repl-process[/\\]js-main\.[jt]s$/;

/** Waits, within a bound, until `check` holds. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !check(); await sleep(50)) {
    if (Date.now() - started > 20_000) assert.fail(`still not: ${what}`);
  }
}

describe('a JavaScript REPL started ahead of need', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  it('is one process, taken by the next sandbox, and not replaced once taken', async () => {
    JsSandbox.warm();
    JsSandbox.warm();
    const early = replProcesses(ENTRY).map((repl) => repl.pid);
    assert.equal(early.length, 1, 'one process, however often warm is called');
    const sandbox = await JsSandbox.create({ context: 'c', bridge: recordingBridge().bridge });
    try {
      assert.deepEqual(
        replProcesses(ENTRY).map((repl) => repl.pid),
        early,
        'the sandbox took the early process rather than starting another',
      );
      assert.equal((await sandbox.run('print(context)')).output, 'c\n');
    } finally {
      sandbox.dispose();
    }
    await until(() => replProcesses(ENTRY).length === 0, 'the REPL process ended');
    await sleep(500);
    assert.equal(replProcesses(ENTRY).length, 0, 'no spare was started after it');
  });

  it('is not taken by a sandbox with another memory cap, which starts its own', async () => {
    JsSandbox.warm();
    const [early] = replProcesses(ENTRY).map((repl) => repl.pid);
    const sandbox = await JsSandbox.create({ context: 'c', bridge: recordingBridge().bridge, memoryLimitMb: 256 });
    try {
      const pids = replProcesses(ENTRY).map((repl) => repl.pid);
      assert.equal(pids.length, 1);
      assert.notEqual(pids[0], early);
    } finally {
      sandbox.dispose();
    }
    await until(() => replProcesses(ENTRY).length === 0, 'the REPL process ended');
  });
});
