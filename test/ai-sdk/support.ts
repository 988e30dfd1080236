/** An RLM whose root and sub models are one scripted server's `root` and `sub`, for the AI SDK adapters' tests. */
import { createOpenAIModel, type RLMOptions } from '../../src/index.ts';
import type { ScriptedReply, ScriptedRequest } from '../../src/testing/index.ts';

// The AI SDK logs call warnings (a temperature the RLM cannot honour...) to the console; the tests read them from results.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

export function scriptedRlm(url: string, more: Partial<RLMOptions> = {}): RLMOptions {
  return {
    model: createOpenAIModel({ model: 'root', baseURL: url, apiKey: 'k' }),
    subModel: createOpenAIModel({ model: 'sub', baseURL: url, apiKey: 'k' }),
    ...more,
  };
}

/** The root's script for root requests, `sub` for the rest. */
export function rootAndSub(
  root: (request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>,
  sub: (request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply> = () => 'sub answer',
) {
  return (request: ScriptedRequest) => (request.model === 'root' ? root(request) : sub(request));
}

/** The usage the server reported, summed: what the whole tree spent, as the provider counted it. */
export function reportedUsage(requests: readonly { usage?: { prompt_tokens: number; completion_tokens: number } }[]) {
  let inputTokens = 0;
  let outputTokens = 0;
  for (const r of requests) {
    inputTokens += r.usage?.prompt_tokens ?? 0;
    outputTokens += r.usage?.completion_tokens ?? 0;
  }
  return { inputTokens, outputTokens };
}

/** Waits until `check` holds, polling; fails after `ms` (generous: a loaded machine is slow, not wrong). */
export async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
