import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Limiter } from '../../src/index.ts';

describe('Limiter', () => {
  it('never runs more than its limit at once, and runs everything', async () => {
    const limiter = new Limiter(3);
    let running = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          return i;
        }),
      ),
    );
    assert.equal(most, 3);
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i));
  });

  it('frees the slot when a task fails', async () => {
    const limiter = new Limiter(1);
    await assert.rejects(limiter.run(() => Promise.reject(new Error('x'))));
    assert.equal(await limiter.run(async () => 'next'), 'next');
    assert.equal(limiter.active, 0);
  });

  it('drops a waiting task whose signal aborts', async () => {
    const limiter = new Limiter(1);
    let release!: () => void;
    const holder = limiter.run(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const waiting = limiter.run(async () => 'never', controller.signal);
    assert.equal(limiter.queued, 1);
    controller.abort();
    await assert.rejects(waiting, { code: 'RLM_CANCELLED' });
    assert.equal(limiter.queued, 0);
    release();
    await holder;
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new Limiter(0), RangeError);
  });
});
