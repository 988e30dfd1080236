/**
 * A spare Python REPL process gets its memory cap when it starts: a sandbox asking for another cap
 * does not take it (its OS data limit would be wrong), and the spares after it are made for the new cap.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { DATA_OVERHEAD_MB, processWall } from '../../../src/sandboxes/host/process-wall.ts';
import { PythonSandbox } from '../../../src/sandboxes/host/python-sandbox.ts';
import { recordingBridge, sleep } from '../support.ts';

after(() => PythonSandbox.coolDown());

/** The data limits (bytes) of the processes under `pid`. */
function dataLimits(pid: number): string[] {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => {
    const limit = /Max data size\s+(\d+)/.exec(readFileSync(`/proc/${child}/limits`, 'utf8'))?.[1];
    return [...(limit ? [limit] : []), ...dataLimits(child)];
  });
}

const bytes = (mb: number) => String((mb + DATA_OVERHEAD_MB) * 1024 * 1024);

describe(
  'the Python warm pool and memory caps',
  { skip: !(process.platform === 'linux' && processWall().dataLimit) && 'no data limit here' },
  () => {
    it('does not hand out a spare made for another memory cap', async () => {
      PythonSandbox.warm({ keep: true });
      await sleep(100);
      assert.ok(dataLimits(process.pid).includes(bytes(1024)), 'a spare for the default cap is booting');
      const sandbox = await PythonSandbox.create({ context: 'c', bridge: recordingBridge().bridge, memoryLimitMb: 300 });
      try {
        assert.equal((await sandbox.run('print(context)')).output, 'c\n');
        const limits = dataLimits(process.pid);
        assert.ok(!limits.includes(bytes(1024)), `the default cap's spare is gone: ${limits.join(', ')}`);
        assert.ok(limits.includes(bytes(300)), `the sandbox's process has its own cap: ${limits.join(', ')}`);
      } finally {
        sandbox.dispose();
      }
    });
  },
);
