/**
 * `rlm bench report`: one report and one chart from the results of one or more benches. Benches
 * of different models (each in its own --out) come out side by side, as in the paper's table.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scoreChart } from '../benchmark/chart.ts';
import { markdownReport } from '../benchmark/report.ts';
import { latestResults, type BenchRow } from '../benchmark/runner.ts';
import { EXIT, HELP_FLAG, parseFlags, usageError, type CliIO, type Flags } from 'rlm/cli-kit';

/** Every flag of `rlm bench report`. */
export const REPORT_OPTIONS = {
  out: { type: 'string', value: '<dir>', help: 'also write report.md and chart.svg there (the table goes to stdout)' },
  help: HELP_FLAG,
} as const satisfies Flags;

export async function benchReport(argv: string[], io: CliIO, help: string): Promise<number> {
  const { values, positionals } = parseFlags(argv, REPORT_OPTIONS, 'rlm bench', { positionals: true });
  if (values.help) {
    io.stdout.write(`${help}\n`);
    return EXIT.answer;
  }
  if (positionals.length === 0)
    throw usageError('give the results to report: rlm bench report <the --out folder of a bench, or its results.jsonl>...');
  // The latest result of each instance, method and model; a bench given twice counts once.
  const latest = new Map<string, BenchRow>();
  for (const given of positionals) {
    for (const row of latestResults(resultsFile(given))) latest.set(`${row.taskId}|${row.method}|${row.model}`, row);
  }
  const rows = [...latest.values()];
  if (rows.length === 0) throw usageError(`no finished results to report in ${positionals.join(', ')}`);
  const report = markdownReport(rows);
  if (values.out !== undefined) {
    try {
      mkdirSync(values.out, { recursive: true });
      writeFileSync(join(values.out, 'report.md'), report);
      writeFileSync(join(values.out, 'chart.svg'), scoreChart(rows));
    } catch (error) {
      throw usageError(`cannot write the report to ${values.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    io.stderr.write(`rlm: wrote ${join(values.out, 'report.md')} and ${join(values.out, 'chart.svg')} from ${rows.length} results\n`);
  }
  io.stdout.write(report);
  return EXIT.answer;
}

/** A bench's folder stands for its results.jsonl. */
function resultsFile(given: string): string {
  if (!existsSync(given)) throw usageError(`no such file or folder: ${given}`);
  if (!statSync(given).isDirectory()) return given;
  const file = join(given, 'results.jsonl');
  if (!existsSync(file)) throw usageError(`${given} holds no bench results (no results.jsonl in it)`);
  return file;
}
