import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RlmEvent } from '../../src/index.ts';
import { ProgressLines } from '../../src/ai-sdk/progress-lines.ts';

const turn = (iteration: number, depth = 0): RlmEvent => ({ type: 'turn-start', runId: depth === 0 ? 'r0' : 'r1', depth, iteration });
const subStart = (callId: number): RlmEvent => ({ type: 'model-call-start', callId, depth: 1, kind: 'sub', model: 'sub' });
const subEnd = (callId: number): RlmEvent => ({
  type: 'model-call-end',
  callId,
  depth: 1,
  kind: 'sub',
  model: 'sub',
  durationMs: 1,
  usage: { inputTokens: 100, cachedInputTokens: 0, outputTokens: 10 },
});

/** A root turn that fans out to `n` sub-calls, then the next turn. */
function batch(n: number): RlmEvent[] {
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  return [turn(1), ...ids.map(subStart), ...ids.map(subEnd), turn(2)];
}

describe('progress lines for the reasoning of a streamed run', () => {
  it('a line at every root turn; sub-calls ending add none within the interval, however many end', () => {
    const lines: string[] = [];
    const progress = new ProgressLines((line) => lines.push(line), undefined, Number.POSITIVE_INFINITY);
    for (const event of batch(1000)) progress.onEvent(event);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^turn 1 · sub-calls 0 done, 0 running · 0 tokens/);
    assert.match(lines[1]!, /^turn 2 · sub-calls 1000 done, 0 running · 110\.0k tokens/);
  });

  it('past the interval, a sub-call ending adds a line', () => {
    const lines: string[] = [];
    const progress = new ProgressLines((line) => lines.push(line), undefined, 0);
    for (const event of batch(3)) progress.onEvent(event);
    assert.deepEqual(
      lines.map((line) => line.split(' · ')[1]),
      [
        'sub-calls 0 done, 0 running',
        'sub-calls 1 done, 2 running',
        'sub-calls 2 done, 1 running',
        'sub-calls 3 done, 0 running',
        'sub-calls 3 done, 0 running',
      ],
    );
  });

  it("a child's turns add no line of their own; the line after the run's end has its status", () => {
    const lines: string[] = [];
    const progress = new ProgressLines((line) => lines.push(line), undefined, Number.POSITIVE_INFINITY);
    progress.onEvent(turn(1));
    progress.onEvent(turn(1, 1));
    progress.onEvent({ type: 'run-end', runId: 'r0', depth: 0, status: 'budget', iterations: 1, durationMs: 5, usage: emptyReport() });
    assert.equal(lines.length, 1);
    assert.match(progress.line(), / · budget$/);
  });
});

function emptyReport() {
  const total = {
    calls: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteInputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    unpricedCalls: 0,
    estimatedCalls: 0,
  };
  return {
    total,
    byModel: {},
    byDepth: {},
    iterationsByDepth: {},
    memo: { hits: 0, savedInputTokens: 0, savedOutputTokens: 0, savedCostUsd: 0 },
  };
}
