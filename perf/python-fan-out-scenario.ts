/**
 * A small Python fan-out, as a model would drive it: the root looks at the context, then one
 * cell asks 150 sub-calls at once with `llm_query_batched`, then a cell ends with FINAL. Every
 * sub-call is answered after 100 ms; at concurrency 16 that is 10 rounds, 1.0 s at best. The
 * code is plain Python in `repl` fences, so any RLM with a Python REPL can be driven by it (the
 * last cell ends with FINAL, or where there is none with the answer dict some RLMs use).
 *
 * Run as a program, it serves the scenario until stopped, so whole processes can be timed
 * against it (the URL goes to stdout):
 *
 *   node perf/python-fan-out-scenario.ts
 *   node bin/rlm.js ask --repl python --base-url <url> --model root --concurrency 16 -c <file> 'count'
 */
import { fileURLToPath } from 'node:url';
import { startScriptedServer, type ScriptedModelServer, type ScriptedReply, type ScriptedRequest } from '../src/testing/index.ts';
import { repl, turnOf } from './recording.ts';

export const SUB_CALLS = 150;
export const SUB_LATENCY_MS = 100;
export const CONCURRENCY = 16;
export const IDEAL_FAN_OUT_MS = Math.ceil(SUB_CALLS / CONCURRENCY) * SUB_LATENCY_MS;
export const EXPECTED_ANSWER = `${SUB_CALLS} answers, ${SUB_CALLS} distinct`;

const TURNS = [
  repl(`
print(type(context).__name__, len(context))
print(context[:200])
`),
  repl(`
answers = llm_query_batched([f"item {i}: answer with the item's number" for i in range(${SUB_CALLS})])
print(len(answers), answers[:3])
`),
  // The paper's FINAL, or the answer dict of the official implementation's later versions.
  repl(`
final = f"{len(answers)} answers, {len(set(answers))} distinct"
try:
    FINAL(final)
except NameError:
    answer["content"] = final
    answer["ready"] = True
`),
];

/** The root's turns and the sub-calls' answers; the root is told apart by its system prompt. */
export function scenario(request: ScriptedRequest): ScriptedReply {
  const prompt = request.lastUser;
  if (/^item \d+:/.test(prompt) && request.messages.length <= 2) return { content: `ok ${prompt.split(':')[0]}`, delayMs: SUB_LATENCY_MS };
  return TURNS[turnOf(request.messages)] ?? repl('FINAL("unexpected turn")');
}

export function startScenarioServer(): Promise<ScriptedModelServer> {
  return startScriptedServer({ script: scenario });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startScenarioServer();
  process.stdout.write(`${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
