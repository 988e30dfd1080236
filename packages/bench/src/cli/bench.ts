/**
 * `rlm bench`: the paper's benchmarks for your own models. `run` scores the methods on generated
 * tasks (bench-run.ts); `export` writes the task instances as JSONL (context, query, ground truth
 * and how to score it), so that any system can be run on exactly the same tasks; `report` puts
 * benches side by side (bench-report.ts). Tasks are deterministic by seed.
 */
import { once } from 'node:events';
import { createWriteStream, openSync } from 'node:fs';
import { benchReport, REPORT_OPTIONS } from './bench-report.ts';
import { benchRun, RUN_ONLY_OPTIONS } from './bench-run.ts';
import { EXIT, HELP_FLAG, parseFlags, renderHelp, usageError, type CliIO, type Flags } from 'rlm/cli-kit';
import { instanceCount, instancesOf, TASK_OPTIONS, taskChoice } from './task-choice.ts';

/** Every flag of `rlm bench export`. */
export const EXPORT_OPTIONS = {
  ...TASK_OPTIONS,
  output: { type: 'string', short: 'o', value: '<file>', help: 'write there instead of stdout' },
  help: HELP_FLAG,
} as const satisfies Flags;

const HELP = renderHelp({
  usage: `Usage: rlm bench run [options]      score methods on generated tasks with your models
       rlm bench export [options]   write the tasks as JSONL, to run other systems on them
       rlm bench report <results>... [--out <dir>]
                                    one table and chart from one or more benches (their --out
                                    folders or results.jsonl): several models side by side`,
  sections: [
    { title: 'Tasks (both):', flags: TASK_OPTIONS },
    { title: 'run:', flags: RUN_ONLY_OPTIONS },
    {
      title: 'export:',
      flags: { output: EXPORT_OPTIONS.output },
      text: '  JSONL, one object a line: { id, family, targetTokens, seed, query, context, answer, score, options? }',
    },
    { title: 'report:', flags: { out: REPORT_OPTIONS.out } },
    { flags: { help: { ...HELP_FLAG, help: 'this help (also after run, export or report)' } } },
  ],
  column: 25,
  spaced: true,
});

/** `rlm bench <run|export|report> ...`: the command rlm runs when this package is installed. */
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
  const { values } = parseFlags(argv, EXPORT_OPTIONS, 'rlm bench');
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
