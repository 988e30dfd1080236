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
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, (_, i) => i),
    );
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

describe('Limiter under a flood', () => {
  it('drops 200,000 waiting tasks in time linear in their number when their cell is aborted', async () => {
    // A cell that fires 200,000 unawaited calls and times out aborts them all at once: quadratic
    // removal froze the event loop for a minute. Linear removal takes a fraction of a second; the
    // bound is far above that so a loaded machine cannot fail it, and far below the quadratic time.
    const limiter = new Limiter(1);
    let release!: () => void;
    const holder = limiter.run(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const waiting = Array.from({ length: 200_000 }, () => limiter.run(async () => 'never', controller.signal).catch(() => 'dropped'));
    assert.equal(limiter.queued, 200_000);
    const started = performance.now();
    controller.abort();
    const outcomes = await Promise.all(waiting);
    const elapsed = performance.now() - started;
    assert.ok(outcomes.every((o) => o === 'dropped'));
    assert.equal(limiter.queued, 0);
    assert.ok(elapsed < 15_000, `aborting took ${Math.round(elapsed)} ms`);
    release();
    await holder;
    assert.equal(await limiter.run(async () => 'after'), 'after');
  });
});
