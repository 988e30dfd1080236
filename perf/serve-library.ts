/**
 * The same trivial run as a request to `rlm serve`, made through the library in-process: one
 * `RLM`, `rlm.run` called `--n` times in a row over an empty context (what the server gives a
 * conversation of one short question), against the scripted model at `<base-url>`. Prints one
 * JSON line; timed from outside, it is the yardstick of perf/serve-client.ts.
 *
 *   node --conditions=rlm-source perf/serve-library.ts <base-url> --n 50
 */
import { parseArgs } from 'node:util';
import { createOpenAIModel, RLM } from '../src/index.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { n: { type: 'string', default: '1' } } });
const baseURL = positionals[0];
if (!baseURL) throw new Error('usage: serve-library.ts <base-url> [--n N]');
const n = Number(values.n);

const model = createOpenAIModel({ model: 'root', baseURL, apiKey: 'bench' });
const rlm = new RLM({ model, subModel: model });
let wrong = 0;
const started = performance.now();
for (let i = 0; i < n; i++) {
  const result = await rlm.run({ context: '', query: 'What is 6 x 7?' });
  if (result.answer !== '42') wrong++;
}
const wallMs = performance.now() - started;
console.log(JSON.stringify({ runs: n, wrong, wallMs: Math.round(wallMs), perRunMs: Math.round(wallMs / n) }));
if (wrong > 0) process.exitCode = 1;
