/** Shared set-up for end-to-end runs: a scripted server and an RLM pointed at it. */
import { createOpenAIModel, RLM, type RLMOptions } from '../../src/index.ts';
import { byTurn, startScriptedServer, type ScriptedModelServer, type ScriptedReply, type Turn } from '../../src/testing/index.ts';

export interface ScriptedRun {
  server: ScriptedModelServer;
  rlm: RLM;
  /** Root requests in order. */
  rootRequests(): ScriptedModelServer['requests'];
  close(): Promise<void>;
}

export async function scriptedRun(
  turns: readonly Turn[],
  options: Partial<RLMOptions> & { sub?: (prompt: string) => ScriptedReply | Promise<ScriptedReply> } = {},
): Promise<ScriptedRun> {
  const root = byTurn(turns);
  const sub = options.sub ?? ((prompt: string) => `sub:${prompt}`);
  const server = await startScriptedServer({ script: (request) => (request.model === 'root' ? root(request) : sub(request.lastUser)) });
  const rlm = new RLM({
    model: createOpenAIModel({ model: 'root', baseURL: server.url }),
    subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
    retry: { baseDelayMs: 5 },
    ...options,
  });
  return {
    server,
    rlm,
    rootRequests: () => server.requests.filter((r) => r.model === 'root'),
    close: () => server.close(),
  };
}

/** The last user message of a recorded request. */
export function lastUser(request: ScriptedModelServer['requests'][number]): string {
  return [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}
