/**
 * `rlm demo`: a real RLM run — real sandbox, real HTTP, real concurrent sub-calls — over a
 * bundled long text, against the scripted model server. It needs no key and no network, and it
 * says plainly that the model's replies are scripted.
 */
import { generateLogbook } from '../demo/logbook.ts';
import { DEMO_QUERY, DEMO_ROOT_MODEL, DEMO_SUB_MODEL, demoScript, pythonDemoScript } from '../demo/script.ts';
import { createOpenAIModel } from '../models/openai.ts';
import { RLM } from '../rlm.ts';
import { startScriptedServer } from '../testing/scripted-server.ts';
import { EXIT } from './exit-codes.ts';
import type { CliIO } from './io.ts';
import { HELP_FLAG, parseFlags, renderHelp, type Flags } from './options.ts';
import { report } from './run-report.ts';
import { runWithSurfaces } from './run-surfaces.ts';

const DEMO_OPTIONS = {
  repl: { type: 'string', value: '<js|python>', default: 'js', choices: ['js', 'python'], help: "the REPL's language" },
  trace: { type: 'string', value: '<file.jsonl>', help: "write the run's trace (open it with rlm view, run it with rlm replay)" },
  json: { type: 'boolean', help: 'print { answer, status, usage, iterations, durationMs } as JSON' },
  quiet: { type: 'boolean', short: 'q', help: 'nothing on stderr' },
  help: HELP_FLAG,
} as const satisfies Flags;

export const DEMO_HELP = renderHelp({
  usage: 'Usage: rlm demo [options]',
  about: `A real RLM run over a bundled long text (a generated ship's logbook) against a scripted model:
the REPL sandbox, the HTTP calls and the concurrent sub-calls are real, the model's replies are
pre-written. No key, no network. Each turn's code and output go to stderr, the answer to stdout.`,
  sections: [{ flags: DEMO_OPTIONS }],
  column: 28,
});

export async function demo(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseFlags(argv, DEMO_OPTIONS, 'rlm demo');
  if (values.help) {
    io.stdout.write(`${DEMO_HELP}\n`);
    return EXIT.answer;
  }
  const python = values.repl === 'python';
  const logbook = generateLogbook();
  const say = (text: string) => {
    if (!values.quiet) io.stderr.write(`${text}\n`);
  };
  say(`rlm demo: a real RLM run against a SCRIPTED model, in the ${python ? 'Python' : 'JavaScript'} REPL.`);
  say('  The REPL sandbox, the HTTP calls and the concurrent sub-calls are real; the model replies are');
  say('  pre-written code and rule-based sub-answers, not a language model. Use `rlm ask` with a key for that.');
  say(`  Context: a generated ship's logbook, ${logbook.text.length.toLocaleString('en-US')} characters.`);
  say(`  Query: ${DEMO_QUERY}\n`);

  const server = await startScriptedServer({ script: python ? pythonDemoScript : demoScript, latencyMs: 40 });
  try {
    const model = createOpenAIModel({ model: DEMO_ROOT_MODEL, baseURL: server.url });
    const subModel = createOpenAIModel({ model: DEMO_SUB_MODEL, baseURL: server.url });
    const result = await runWithSurfaces(
      { quiet: values.quiet ?? false, verbose: !values.quiet, trace: values.trace },
      { ...io, stderrIsTTY: false },
      { context: logbook.text },
      (onEvent, signal) =>
        new RLM({ model, subModel, repl: python ? 'python' : 'javascript', onEvent }).run({
          context: logbook.text,
          query: DEMO_QUERY,
          signal,
        }),
    );
    say(`\n${server.requests.length} requests reached the scripted server (at most ${server.maxInFlight} at once).`);
    say(`The generator put the sighting on day ${logbook.sighting.day} (${logbook.sighting.name}) and logged ${logbook.storms} storms.`);
    say('Answer:');
    return report(result, { json: values.json ?? false, quiet: values.quiet ?? false }, io);
  } finally {
    await server.close();
  }
}
