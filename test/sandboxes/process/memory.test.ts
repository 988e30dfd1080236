/**
 * The REPL process's memory is capped by the operating system, not only by its engine's heap
 * limit: what the engines do not count (ICU objects beside the isolate, files in Pyodide's memory,
 * whatever the next escape is) is stopped too, with the same clear error, and the REPL is started
 * again. (Without these caps, 3 million Intl objects grew a 64 MiB JavaScript REPL to 12.6 GB.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { RSS_MARGIN_MB } from '../../../src/sandboxes/host/process-sandbox.ts';
import { DATA_OVERHEAD_MB, processWall } from '../../../src/sandboxes/host/process-wall.ts';
import { PythonSandbox } from '../../../src/sandboxes/host/python-sandbox.ts';
import type { Sandbox } from '../../../src/sandboxes/sandbox.ts';
import { createSandbox, LANGUAGES, recordingBridge } from '../support.ts';
import { StubSandbox } from './stub-sandbox.ts';

after(() => PythonSandbox.coolDown());

/** The processes under `pid`. */
function descendants(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    return children.flatMap((child) => [child, ...descendants(child)]);
  } catch {
    return [];
  }
}

/** Runs a cell while sampling the resident memory of this process's REPL processes; returns the peak in MiB. */
async function runMeasured(sandbox: Sandbox, code: string) {
  let peakKb = 0;
  const timer = setInterval(() => {
    let total = 0;
    for (const pid of descendants(process.pid)) {
      try {
        total += Number(/VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        // gone
      }
    }
    peakKb = Math.max(peakKb, total);
  }, 20);
  try {
    const result = await sandbox.run(code, { timeoutMs: 120_000 });
    return { result, peakMb: Math.round(peakKb / 1024) };
  } finally {
    clearInterval(timer);
  }
}

describe('the memory cap of a REPL process', { skip: process.platform !== 'linux' && 'Linux: /proc and RLIMIT_DATA' }, () => {
  it('kills a REPL process whose resident memory passes its cap, with the out-of-memory error, and starts it again', async () => {
    const sandbox = await StubSandbox.create({ context: 'c', bridge: recordingBridge().bridge, memoryLimitMb: 64 });
    try {
      // Buffers live outside any engine's heap limit; filled, so that they are resident.
      const { result, peakMb } = await runMeasured(
        sandbox,
        'const kept = []; for (let i = 0; i < 400; i++) { kept.push(Buffer.alloc(8 * 2 ** 20, 1)); await new Promise((r) => setTimeout(r, 5)); } return "survived"',
      );
      assert.equal(result.error, 'RangeError: the cell ran out of memory (limit 64 MiB)');
      assert.equal(result.restarted, true);
      assert.ok(peakMb < 64 + RSS_MARGIN_MB + 200, `peak ${peakMb} MiB`);
      assert.equal((await sandbox.run('return 1')).output, '1\n');
    } finally {
      sandbox.dispose();
    }
  });

  for (const language of LANGUAGES) {
    it(
      `${language}: the REPL process runs under a data limit of memoryLimitMb + ${DATA_OVERHEAD_MB} MiB`,
      { skip: !processWall().dataLimit && 'no data limit here' },
      async () => {
        const { sandbox } = await createSandbox(language, { memoryLimitMb: 300 });
        try {
          const limits = descendants(process.pid).map((pid) => {
            try {
              return /Max data size\s+(\d+)\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
            } catch {
              return null;
            }
          });
          const expected = String((300 + DATA_OVERHEAD_MB) * 1024 * 1024);
          // Soft and hard: the REPL cannot raise it.
          assert.ok(
            limits.some((l) => l?.[1] === expected && l[2] === expected),
            `limits: ${limits.map((l) => l?.slice(1).join('/')).join(', ')}`,
          );
        } finally {
          sandbox.dispose();
        }
      },
    );
  }

  it("python: files written to the interpreter's memory stop at the cap (or are refused)", async () => {
    const { sandbox } = await createSandbox('python', { memoryLimitMb: 256 });
    try {
      const { result, peakMb } = await runMeasured(sandbox, "for i in range(1000):\n    open('/tmp/f%d' % i, 'wb').write(b'x' * 10**7)");
      // Pyodide's in-memory files are outside its heap limit; a REPL may also refuse to write at all.
      assert.match(result.error ?? '', /ran out of memory.*\(limit 256 MiB\)|Read-only file system/);
      assert.ok(peakMb < 256 + RSS_MARGIN_MB + 200, `peak ${peakMb} MiB`);
      assert.equal((await sandbox.run('print(context)')).output, 'the context text\n');
    } finally {
      sandbox.dispose();
    }
  });
});
