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

/** 10+ MB of filler with one real needle and two decoys that a regex alone cannot tell apart. */
export function haystack(): string {
  const lines: string[] = [];
  for (let i = 0; lines.length < 180_000; i++) {
    lines.push(`Line ${i}: the weather report for station ${i % 97} is unremarkable, winds ${i % 40} knots.`);
    if (i === 40_000) lines.push('Rumour has it the secret code is 11111-DECOY, but that was a decoy.');
    if (i === 120_000) lines.push('Filed by the archivist: the secret code is 48291-ALPHA.');
    if (i === 150_000) lines.push('A prankster wrote that the secret code is 22222-DECOY, another decoy.');
  }
  return lines.join('\n');
}

const LABEL_WORDS = {
  praise: ['wonderful', 'superb', 'delightful'],
  complaint: ['broken', 'late', 'rude'],
  question: ['how', 'when', 'where'],
} as const;
export type Label = keyof typeof LABEL_WORDS;

/** 2,400 records whose label must be inferred from the words of the text, not read. */
export function labelledRecords(): { lines: string[]; truth: Record<Label, number> } {
  const truth: Record<Label, number> = { praise: 0, complaint: 0, question: 0 };
  const names = Object.keys(LABEL_WORDS) as Label[];
  const lines = Array.from({ length: 2400 }, (_, i) => {
    const label = names[(i * 7 + (i % 11)) % 3]!;
    truth[label]++;
    const word = LABEL_WORDS[label][i % 3];
    return `2025-0${1 + (i % 9)}-1${i % 10} || user${i % 50} || the customer wrote something ${word} about order ${i}`;
  });
  return { lines, truth };
}

/** The scripted sub-model of the aggregation runs: labels each line of its chunk by rule, returns counts as JSON. */
export function labelChunk(prompt: string): string {
  const counts: Record<Label, number> = { praise: 0, complaint: 0, question: 0 };
  for (const line of prompt.split('\n').filter((l) => l.includes(' || '))) {
    const found = (Object.keys(LABEL_WORDS) as Label[]).find((label) => LABEL_WORDS[label].some((w) => line.includes(` ${w} `)));
    if (found) counts[found]++;
  }
  return JSON.stringify(counts);
}
