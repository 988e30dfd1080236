/**
 * The scripted model behind the `rlm serve` measurements (perf/serve-*.ts), as a program that
 * serves until stopped and prints its URL, so that whole processes (`rlm ask`, `rlm serve`, a
 * client) can be timed against it:
 *
 *   node --conditions=rlm-source perf/serve-scenario.ts trivial      # the root answers FINAL("42") at once
 *   node --conditions=rlm-source perf/serve-scenario.ts batch 100    # 2 turns: one cell of 4 llm_query calls, then FINAL; every answer after 100 ms
 *
 * The model is `root` (the sub-calls name it too); any API key is accepted.
 */
import { fileURLToPath } from 'node:url';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer, type ScriptedRequest } from '../src/testing/index.ts';

export type Scenario = 'trivial' | 'batch';

/** Sub-calls in the batch scenario's one cell. */
export const BATCH_SUB_CALLS = 4;

const trivial = byTurn([repl('FINAL("42")')]);

const batchRoot = byTurn([
  repl(`
const answers = await Promise.all([${Array.from({ length: BATCH_SUB_CALLS }, (_, i) => i).join(', ')}].map((i) => llm_query(\`part \${i}: say ok\`)));
print(answers.join(' '));
`),
  repl('FINAL(`${answers.length} parts ok`)'),
]);

/** Starts the scripted model: `latencyMs` is added to every answer (root turns and sub-calls). */
export function startScenarioServer(scenario: Scenario, latencyMs = 0): Promise<ScriptedModelServer> {
  const script =
    scenario === 'trivial'
      ? trivial
      : async (request: ScriptedRequest) =>
          /^part \d+:/.test(request.lastUser) && request.messages.length <= 2 ? 'ok' : batchRoot(request);
  return startScriptedServer({ script, latencyMs });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scenario = process.argv[2] === 'batch' ? 'batch' : 'trivial';
  const server = await startScenarioServer(scenario, Number(process.argv[3] ?? 0));
  process.stdout.write(`${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
