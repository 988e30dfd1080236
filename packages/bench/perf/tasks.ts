/**
 * 7. The task generators and the retrieval baseline of `rlm bench`: what it costs to make an
 * instance before any model is asked.
 *
 * - generation: `generateTask` for sniah, oolong, oolong-pairs and browsecomp at 1M and 10M
 *   tokens, one instance each, each in a fresh process: the time of the call, the peak RSS while
 *   generating (the kernel's high-water mark, reset after the imports) and the heap held by the
 *   instance after a GC.
 * - codeqa: over node_modules/eslint/lib and over the whole of node_modules, each in a fresh
 *   process (the analysed tree is kept per process): the first call (131K tokens; it reads and
 *   analyses the tree), then instances 1 to 10 at 131K and at 1M tokens, and the peak RSS.
 * - retrieval: `chunkText` into 1,000-token passages and `rankPassages` (BM25 through
 *   MiniSearch, top 20), as the `retrieval` method does, over the 1M and 10M sniah and oolong
 *   instances made above with their own queries, in a fresh process that reads the context from
 *   a file (so that the generator's garbage is not in the baseline): time, peak RSS, and for
 *   sniah whether the needle's passage is ranked first.
 *
 * This file is also the child process: `node --expose-gc --conditions=rlm-source packages/bench/perf/tasks.ts <mode> ...` (see
 * `child` below) prints one JSON report on stdout.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chunkText } from '../src/benchmark/chunks.ts';
import { rankPassages, RETRIEVAL_DEFAULTS } from '../src/benchmark/retrieval.ts';
import { readCodeTree } from '../src/tasks/code-tree.ts';
import { formatTokens, generateTask, type TaskFamily } from '../src/tasks/index.ts';
import { CHARS_PER_TOKEN } from '../src/tasks/task.ts';
// The checkout's performance harness (perf/), which runs this measurement among the others.
import { checkRow, collect, floorRow, infoRow, median, MiB, round, type BenchResult, type Row } from '../../../perf/lib.ts';
import { otherCpuMeter, vmHwmMiB } from '../../../perf/procs.ts';
import { runChild } from '../../../perf/run-child.ts';

const GENERATED: TaskFamily[] = ['sniah', 'oolong', 'oolong-pairs', 'browsecomp'];
const SIZES = [1_000_000, 10_000_000];
const RANKED: TaskFamily[] = ['sniah', 'oolong'];
/** Relative to the repository (the child is given the full path). */
const CODE_ROOTS = ['node_modules/eslint/lib', 'node_modules'];
const CODE_SIZES = [131_000, 1_000_000];
const CODE_INSTANCES = 10;
/** Floor: a 10M-token instance of any family generated in at most this (seconds). */
const GENERATE_10M_LIMIT_S = 10;
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
/** This file, run as a child; it imports the core as `rlm`, from its sources. */
const SELF = import.meta.url;
const CHILD_FLAGS = ['--expose-gc', '--conditions=rlm-source'];

export interface GenerateReport {
  family: TaskFamily;
  tokens: number;
  ms: number;
  chars: number;
  /** RSS before generating (after the imports and a GC), and the peak while generating (VmHWM since a reset). */
  rssBeforeMiB: number;
  peakRssMiB: number;
  /** Whether the high-water mark could be reset after the imports (else the peak includes them). */
  hwmReset: boolean;
  /** V8 heap used after a GC with the instance held, less before generating. */
  heapHeldMiB: number;
}

export interface CodeQaReport {
  root: string;
  files: number;
  skipped: number;
  /** Characters of source in the files analysed. */
  treeChars: number;
  firstMs: number;
  /** V8 heap used after a GC once the tree is analysed (holding it and instance 0), less before. */
  heapHeldMiB: number;
  /** Per size: the times of instances 1..n, and the context's length. */
  sizes: Array<{ tokens: number; ms: number[]; chars: number[] }>;
  rssBeforeMiB: number;
  peakRssMiB: number;
  hwmReset: boolean;
}

export interface RankReport {
  family: TaskFamily;
  tokens: number;
  chars: number;
  passages: number;
  chunkMs: number;
  rankMs: number;
  /** RSS with the context read (after a GC) and the peak while chunking and ranking. */
  rssBeforeMiB: number;
  peakRssMiB: number;
  hwmReset: boolean;
  /** sniah: the needle's place among the top passages (1 is first; 0 when it is not among them). */
  needleRank?: number;
}

export async function taskGeneration(): Promise<BenchResult> {
  const B = '7. tasks';
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  const info = (metric: string, value: number, unit: Row['unit']) => rows.push(infoRow({ benchmark: B, metric, value, unit }));
  const others = otherCpuMeter();
  const dir = mkdtempSync(join(tmpdir(), 'rlm-bench-tasks-'));

  try {
    const generated: GenerateReport[] = [];
    for (const family of GENERATED) {
      for (const tokens of SIZES) {
        // The contexts that retrieval ranks below are saved as they are made.
        const save = RANKED.includes(family) ? [join(dir, `${family}-${tokens}`)] : [];
        const report = await runChild<GenerateReport>(SELF, ['generate', family, String(tokens), ...save], CHILD_FLAGS);
        generated.push(report);
        const metric = `generate ${family}, ${formatTokens(tokens)} tokens`;
        const seconds = report.ms / 1000;
        rows.push(
          tokens === 10_000_000
            ? floorRow({ benchmark: B, metric, value: seconds, unit: 's', limit: GENERATE_10M_LIMIT_S })
            : infoRow({ benchmark: B, metric, value: seconds, unit: 's' }),
        );
        info('  peak RSS while generating', report.peakRssMiB, 'MiB');
      }
    }
    info('RSS of each process before it generates (after the imports; median)', median(generated.map((r) => r.rssBeforeMiB)), 'MiB');
    details.generate = generated.map(roundAll);

    const codeqa: CodeQaReport[] = [];
    for (const root of CODE_ROOTS) {
      const report = await runChild<CodeQaReport>(SELF, ['codeqa', join(REPO, root)], CHILD_FLAGS);
      codeqa.push({ ...report, root });
      info(`codeqa ${root}: files analysed (${(report.treeChars / 1e6).toFixed(1)} M characters)`, report.files, 'count');
      info(`  first call, 131k (reads and analyses the tree)`, report.firstMs, 'ms');
      info(`  heap held by the analysed tree (after a GC)`, report.heapHeldMiB, 'MiB');
      for (const size of report.sizes) {
        const longest = Math.max(...size.chars);
        const note = longest < size.tokens * CHARS_PER_TOKEN * 0.9 ? `; the whole tree, ${(longest / 1e6).toFixed(1)} M characters` : '';
        info(`  per instance after it, ${formatTokens(size.tokens)} (median of ${size.ms.length}${note})`, median(size.ms), 'ms');
      }
      info(`  peak RSS`, report.peakRssMiB, 'MiB');
    }
    details.codeqa = codeqa.map((r) => ({
      ...roundAll(r),
      sizes: r.sizes.map((s) => ({
        tokens: s.tokens,
        medianMs: round(median(s.ms), 1),
        allMs: s.ms.map((t) => round(t, 1)),
        chars: s.chars,
      })),
    }));

    const ranked: RankReport[] = [];
    for (const family of RANKED) {
      for (const tokens of SIZES) {
        const report = await runChild<RankReport>(SELF, ['rank', join(dir, `${family}-${tokens}`)], CHILD_FLAGS);
        ranked.push(report);
        const what = `${family}, ${formatTokens(tokens)} tokens`;
        info(
          `retrieval ${what}: chunk + rank ${report.passages.toLocaleString('en-US')} passages`,
          (report.chunkMs + report.rankMs) / 1000,
          's',
        );
        info(`  peak RSS (with the context read: ${Math.round(report.rssBeforeMiB)} MiB)`, report.peakRssMiB, 'MiB');
        if (report.needleRank !== undefined) {
          rows.push(
            checkRow(
              { benchmark: B, metric: `  the needle's passage ranked first`, value: report.needleRank, unit: 'count' },
              report.needleRank === 1,
              '= 1 (check)',
            ),
          );
        }
      }
    }
    details.retrieval = { ...RETRIEVAL_DEFAULTS, runs: ranked.map(roundAll) };

    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
    details.commit = git('rev-parse', '--short', 'HEAD');
    details.srcChangedSinceCommit = git('status', '--porcelain', 'packages/bench/src') !== '';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const othersPct = others();
  details.otherProcessesCpuPercent = round(othersPct, 1);
  info('CPU used by other processes meanwhile (% of the machine)', Math.round(othersPct), 'count');
  return { id: 'tasks', title: "rlm bench's task generators and the retrieval baseline's ranking", rows, details };
}

const roundAll = <T extends object>(report: T) =>
  Object.fromEntries(
    Object.entries(report).map(([key, value]) => [key, typeof value === 'number' && !Number.isInteger(value) ? round(value, 1) : value]),
  );

const heapMiB = () => process.memoryUsage().heapUsed / MiB;
const rssMiB = () => process.memoryUsage().rss / MiB;

/** Resets this process's RSS high-water mark (VmHWM), so that the next peak read is from now on. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * The child process, one measurement each:
 *
 *   generate <family> <tokens> [<save>]   one instance; with <save>, <save>.txt gets its context and <save>.json the rest
 *   codeqa <root>                         the first call and instances 1..10 at each size
 *   rank <saved>                          chunk and rank a saved instance's context against its query
 */
async function child(args: string[]): Promise<object> {
  const [mode, ...rest] = args;
  collect();
  if (mode === 'generate') {
    const [family, tokens, save] = [rest[0] as TaskFamily, Number(rest[1]), rest[2]];
    const heapBefore = heapMiB();
    const rssBeforeMiB = rssMiB();
    const hwmReset = resetPeak();
    const started = performance.now();
    const task = generateTask(family, tokens, 0, 1);
    const ms = performance.now() - started;
    const peakRssMiB = vmHwmMiB();
    collect();
    const report: GenerateReport = {
      family,
      tokens,
      ms,
      chars: task.context.length,
      rssBeforeMiB,
      peakRssMiB,
      hwmReset,
      heapHeldMiB: heapMiB() - heapBefore,
    };
    if (save) {
      writeFileSync(`${save}.txt`, task.context);
      writeFileSync(`${save}.json`, JSON.stringify({ ...task, context: undefined }));
    }
    return report;
  }
  if (mode === 'codeqa') {
    const root = rest[0] ?? join(REPO, CODE_ROOTS[0]!);
    const heapBefore = heapMiB();
    const rssBeforeMiB = rssMiB();
    const hwmReset = resetPeak();
    let started = performance.now();
    const first = generateTask('codeqa', CODE_SIZES[0]!, 0, 1, { codeRoot: root });
    const firstMs = performance.now() - started;
    collect();
    const heapHeldMiB = heapMiB() - heapBefore;
    const tree = readCodeTree(root);
    const sizes: CodeQaReport['sizes'] = [];
    for (const tokens of CODE_SIZES) {
      const size = { tokens, ms: [] as number[], chars: [] as number[] };
      for (let i = 1; i <= CODE_INSTANCES; i++) {
        started = performance.now();
        const task = generateTask('codeqa', tokens, i, 1, { codeRoot: root });
        size.ms.push(performance.now() - started);
        size.chars.push(task.context.length);
      }
      sizes.push(size);
    }
    const report: CodeQaReport = {
      root,
      files: tree.files.length,
      skipped: tree.skipped.length,
      treeChars: tree.files.reduce((sum, file) => sum + file.text.length, 0),
      firstMs,
      heapHeldMiB,
      sizes,
      rssBeforeMiB,
      peakRssMiB: vmHwmMiB(),
      hwmReset,
    };
    if (first.context.length === 0) throw new Error(`codeqa over ${root} gave an empty context`);
    return report;
  }
  if (mode === 'rank') {
    const saved = rest[0] ?? '';
    const task = JSON.parse(readFileSync(`${saved}.json`, 'utf8')) as {
      family: TaskFamily;
      targetTokens: number;
      query: string;
      answer: string;
    };
    const context = readFileSync(`${saved}.txt`, 'utf8');
    collect();
    const rssBeforeMiB = rssMiB();
    const hwmReset = resetPeak();
    let started = performance.now();
    const chunks = chunkText(context, RETRIEVAL_DEFAULTS.chunkTokens * CHARS_PER_TOKEN);
    const chunkMs = performance.now() - started;
    started = performance.now();
    const top = rankPassages(chunks, task.query, RETRIEVAL_DEFAULTS.topK);
    const rankMs = performance.now() - started;
    const report: RankReport = {
      family: task.family,
      tokens: task.targetTokens,
      chars: context.length,
      passages: chunks.length,
      chunkMs,
      rankMs,
      rssBeforeMiB,
      peakRssMiB: vmHwmMiB(),
      hwmReset,
    };
    if (task.family === 'sniah') {
      // The needle is one sentence, "The special magic <kind> for <key> is: <value>." (sniah.ts).
      const [, kind, key] = /special magic (\w+) for (\S+) mentioned/.exec(task.query) ?? [];
      const needle = `The special magic ${kind} for ${key} is: ${task.answer}.`;
      const at = context.indexOf(needle);
      if (at < 0) throw new Error(`the needle "${needle}" is not in the context`);
      report.needleRank = top.findIndex((chunk) => chunk.start <= at && at + needle.length <= chunk.start + chunk.text.length) + 1;
    }
    return report;
  }
  throw new Error(`usage: tasks.ts generate <family> <tokens> [<save>] | codeqa <root> | rank <saved>; got ${args.join(' ')}`);
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(await child(process.argv.slice(2)))}\n`);
