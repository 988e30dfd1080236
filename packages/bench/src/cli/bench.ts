/**
 * `rlm bench`: the paper's benchmarks for your own models. `run` scores the methods on generated
 * tasks (bench-run.ts); `export` writes the task instances as JSONL (context, query, ground truth
 * and how to score it), so that any system can be run on exactly the same tasks; `report` puts
 * benches side by side (bench-report.ts). Tasks are deterministic by seed.
 */
import { once } from 'node:events';
import { createWriteStream, openSync } from 'node:fs';
import { METHODS } from '../benchmark/methods.ts';
import { TASK_FAMILIES } from '../tasks/index.ts';
import { benchReport } from './bench-report.ts';
import { benchRun } from './bench-run.ts';
import { EXIT, parseCommandArgs, usageError, type CliIO } from 'rlm/cli-kit';
import { instanceCount, instancesOf, TASK_OPTIONS, taskChoice } from './task-choice.ts';

export { RUN_OPTIONS } from './bench-run.ts';

const HELP = `Usage: rlm bench run [options]      score methods on generated tasks with your models
       rlm bench export [options]   write the tasks as JSONL, to run other systems on them
       rlm bench report <results>... [--out <dir>]
                                    one table and chart from one or more benches (their --out
                                    folders or results.jsonl): several models side by side

Tasks (both):
      --tasks <list>     families, comma-separated: ${TASK_FAMILIES.join(', ')} (default: all)
      --sizes <list>     target sizes in tokens, e.g. 8k,32k,131k,1m (default: 8k,32k,131k)
  -n, --instances <n>    instances per family and size (default 5)
      --seed <n>         the seed; the same seed gives the same tasks (default 1)
      --code <dir>       codeqa: the package tree to ask about, any folder of JavaScript or
                         TypeScript (default: rlm's own package folder); a tree smaller than
                         a size is given whole

run:
      --methods <list>   ${METHODS.join(', ')} (default: all)
  -m, --model <name>     root model, and the base model of the baselines (env RLM_MODEL;
                         default gpt-5 on OpenAI)
      --sub-model <name> model for sub-calls and summary's notes (env RLM_SUB_MODEL; default:
                         the root model)
      --base-url <url>   the endpoint (default: OpenAI, or a local server when no key is set)
      --provider <openai|anthropic>  the wire format: OpenAI-compatible (default) or the
                         Anthropic Messages API (env ANTHROPIC_API_KEY)
      --repl <js|python> the RLM's REPL (default js)
      --window <tokens>  the base model's window for direct, summary and retrieval
                         (default: the model's known window)
      --top-k <n>        retrieval: passages shown at most (default 20, fewer if the window is full)
      --passage <tokens> retrieval: passage size (default 1000)
      --concurrency <n>  instances in flight at once (default 2)
      --max-cost <usd>   spending limit for the whole bench: no instance starts once reached
      --instance-cost <usd>  limit on each instance's run
      --prices <file.json>   prices of models rlm does not know, per million tokens:
                         { "model": { "input": 1.25, "cachedInput": 0.125, "output": 10 } }
      --out <dir>        where results.jsonl, report.md and chart.svg go (default ./rlm-bench);
                         run again with the same folder to resume
      --traces           write each run's trace to <out>/traces (open one with rlm view)
      --dry-run          print the plan and the estimate, and run nothing
  -q, --quiet            print only the report: no plan, no line per result

export:
  -o, --output <file>    write there instead of stdout
  JSONL, one object a line: { id, family, targetTokens, seed, query, context, answer, score, options? }

report:
      --out <dir>        also write report.md and chart.svg there (the table goes to stdout)

  -h, --help             this help (also after run, export or report)`;

/** Every flag of `rlm bench export`; the help names each one. */
export const EXPORT_OPTIONS = {
  ...TASK_OPTIONS,
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function bench(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(`${HELP}\n`);
    return sub === undefined ? EXIT.usage : EXIT.answer;
  }
  if (sub === 'run') return benchRun(rest, io, HELP);
  if (sub === 'report') return benchReport(rest, io, HELP);
  if (sub === 'export') return benchExport(rest, io);
  throw usageError(`unknown bench command '${sub}' (rlm bench run, rlm bench export, rlm bench report; see rlm bench --help)`);
}

async function benchExport(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs({ args: argv, options: EXPORT_OPTIONS }, 'rlm bench --help');
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return EXIT.answer;
  }
  const choice = taskChoice(values);
  const out = values.output ? createWriteStream('', { fd: openOutput(values.output) }) : io.stdout;
  // One instance in memory at a time: a 10M-token line is about 40 MB.
  for (const task of instancesOf(choice)) {
    if (!out.write(`${JSON.stringify(task)}\n`)) await once(out, 'drain');
  }
  if (values.output) {
    out.end();
    await once(out, 'finish');
    io.stderr.write(`rlm: wrote ${instanceCount(choice)} tasks to ${values.output}\n`);
  }
  return EXIT.answer;
}

/** Opens the output file now, so that a bad path is a usage error before any work. */
function openOutput(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (error) {
    throw usageError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
