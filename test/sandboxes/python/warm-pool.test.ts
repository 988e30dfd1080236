/**
 * The Python warm pool keeps a spare only once a program has made a second sandbox (or was told
 * more will come): a spare booting beside a lone run's cells only takes their CPU. Counted in a
 * fresh program each time (warm-pool-child.ts), from /proc.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CHILD = fileURLToPath(new URL('./warm-pool-child.ts', import.meta.url));

async function counts(...args: string[]): Promise<{ afterFirst: number; afterSecond: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, ...args], { timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { afterFirst: number; afterSecond: number };
}

describe('the Python warm pool', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  it("starts no spare beside a program's first sandbox, and keeps one from the second on", async () => {
    assert.deepEqual(await counts(), { afterFirst: 1, afterSecond: 3 });
  });

  it('keeps one from the first on when told more sandboxes will come', async () => {
    assert.deepEqual(await counts('--keep'), { afterFirst: 2, afterSecond: 3 });
  });
});
