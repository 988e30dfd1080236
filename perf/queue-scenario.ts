/**
 * The scripted model behind the queue measurement (perf/queue-load.ts): every run's context is
 * its name (`run-007`); root turn 1 runs one cell that sends `llm_query_batched` 4 prompts naming
 * the run, root turn 2 FINALs the sub-calls' answers joined. So each run makes 6 model requests
 * (2 root turns, 4 sub-calls) and its answer can only be right if every one of them reached the
 * model with its own run's context. Every answer comes after `latencyMs`.
 *
 *   node --conditions=rlm-source perf/queue-scenario.ts 100    # serves until stopped, prints its URL
 *
 * The model is any name (the workers say `root`); any API key is accepted.
 */
import { fileURLToPath } from 'node:url';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer, type ScriptedRequest } from '../src/testing/index.ts';

/** Sub-calls in each run's one cell. */
export const SUB_CALLS = 4;
/** Model requests each run makes: two root turns and the sub-calls. */
export const REQUESTS_PER_RUN = 2 + SUB_CALLS;

/** What the sub-call for part `part` of `run` answers. */
const subAnswer = (part: number, run: string) => `ok ${part} ${run}`;

/** The answer a run over the context `run` must end with. */
export function expectedAnswer(run: string): string {
  return Array.from({ length: SUB_CALLS }, (_, part) => subAnswer(part, run)).join(' ');
}

const root = byTurn([
  repl(`
const answers = await llm_query_batched([${Array.from({ length: SUB_CALLS }, (_, i) => i).join(', ')}].map((i) => \`part \${i} of \${context}\`));
print(answers.join(' '));
`),
  repl("FINAL(answers.join(' '))"),
]);

const SUB_PROMPT = /^part (\d+) of (\S+)$/;

/** A scripted model server for the scenario, and the requests it answered per run (root turns and sub-calls apart). */
export interface QueueScenarioServer {
  model: ScriptedModelServer;
  asked: Map<string, { root: number; sub: number }>;
}

export async function startQueueScenario(latencyMs: number): Promise<QueueScenarioServer> {
  const asked = new Map<string, { root: number; sub: number }>();
  const count = (run: string) => {
    let c = asked.get(run);
    if (!c) asked.set(run, (c = { root: 0, sub: 0 }));
    return c;
  };
  const model = await startScriptedServer({
    latencyMs,
    script: async (request: ScriptedRequest) => {
      const sub = SUB_PROMPT.exec(request.lastUser);
      if (sub) {
        count(sub[2]!).sub++;
        return subAnswer(Number(sub[1]), sub[2]!);
      }
      // A root turn: the run's name is its whole context, which the system or user message shows.
      count(/(?:run|warm)-\d{3}/.exec(JSON.stringify(request.messages))?.[0] ?? 'unknown').root++;
      return root(request);
    },
  });
  return { model, asked };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { model } = await startQueueScenario(Number(process.argv[2] ?? 100));
  process.stdout.write(`${model.url}\n`);
  const stop = () => void model.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
