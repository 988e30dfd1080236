/** A synthetic trace of one cell that made `subCalls` sub-calls, for viewer scale checks. */
import type { RlmEvent } from '../../src/index.ts';

export function syntheticTrace(subCalls: number): { events: Array<RlmEvent & { t: number }> } {
  const usage = { inputTokens: 40, cachedInputTokens: 0, outputTokens: 8 };
  const events: Array<RlmEvent & { t: number }> = [];
  const at = (t: number, event: RlmEvent) => events.push({ ...event, t });
  at(0, { type: 'run-start', runId: 'r0', depth: 0, query: 'scale', contextChars: 10, model: 'root', subModel: 'sub' });
  at(1, { type: 'turn-start', runId: 'r0', depth: 0, iteration: 1 });
  at(1, {
    type: 'model-call-start',
    callId: 0,
    runId: 'r0',
    depth: 0,
    kind: 'root',
    model: 'root',
    messages: [{ role: 'user', content: 'go' }],
    from: 0,
  });
  at(5, {
    type: 'model-call-end',
    callId: 0,
    runId: 'r0',
    depth: 0,
    kind: 'root',
    model: 'root',
    durationMs: 4,
    usage,
    text: '```repl\nawait llm_query_batched(items)\n```',
  });
  at(6, { type: 'cell-start', runId: 'r0', depth: 0, iteration: 1, index: 0, code: 'await llm_query_batched(items)' });
  for (let i = 1; i <= subCalls; i++) {
    const start = 6 + Math.floor(i / 16) * 100;
    at(start, {
      type: 'model-call-start',
      callId: i,
      runId: 'r0',
      depth: 1,
      kind: 'sub',
      model: 'sub',
      messages: [{ role: 'user', content: `item ${i}: what is it?` }],
      from: 0,
    });
    at(start + 90, {
      type: 'model-call-end',
      callId: i,
      runId: 'r0',
      depth: 1,
      kind: 'sub',
      model: 'sub',
      durationMs: 90,
      usage,
      text: `answer ${i}`,
    });
  }
  const end = 6 + Math.ceil(subCalls / 16) * 100 + 100;
  at(end, {
    type: 'cell-end',
    runId: 'r0',
    depth: 0,
    iteration: 1,
    index: 0,
    output: `${subCalls} answers`,
    restarted: false,
    durationMs: end - 6,
  });
  const total = {
    calls: subCalls + 1,
    inputTokens: 40 * (subCalls + 1),
    cachedInputTokens: 0,
    cacheWriteInputTokens: 0,
    outputTokens: 8 * (subCalls + 1),
    costUsd: 0,
    unpricedCalls: subCalls + 1,
    estimatedCalls: 0,
  };
  at(end + 1, {
    type: 'run-end',
    runId: 'r0',
    depth: 0,
    status: 'done',
    answer: 'scaled',
    iterations: 1,
    durationMs: end,
    usage: {
      total,
      byModel: {},
      byDepth: {},
      iterationsByDepth: {},
      memo: { hits: 0, savedInputTokens: 0, savedOutputTokens: 0, savedCostUsd: 0 },
    },
  });
  return { events };
}
