/**
 * 6. The Python REPL next to the JavaScript one: PythonSandbox (CPython on Pyodide, in a worker
 * of a REPL process) and JsSandbox (a V8 isolate in a REPL process), measured the same way.
 *
 * - start: `create` with an empty context. JavaScript has no pool: every create starts a process.
 *   Python has four cases: the program's first sandbox with no spare started, measured in fresh
 *   processes (python-start-child.ts), with an empty cache (its REPL process boots CPython from
 *   scratch and makes the snapshot the later ones boot from, and writes it to the cache) and with
 *   the snapshot in the cache; cold, no spare but a snapshot (`coolDown()` first); warm, a spare
 *   has booted (`warm()`, then wait until no child process uses the CPU). The benchmark uses a
 *   cache folder of its own (XDG_CACHE_HOME), empty at its start.
 *   Also CPython's boot alone, in a plain Node process (pyodide-boot-child.ts): from scratch,
 *   from a snapshot, and two from scratch at once.
 * - context load: `create` with 10 and 100 MiB of text (Python from a warm spare), and the peak
 *   RSS of the REPL process holding 100 MiB (load-child.ts, a process of its own).
 * - trivial cell: `1 + 1`, timed from the host around `sandbox.run`.
 * - the 44 MB cell: 44,000,000 bytes, 400,000 lines of text; one cell splits it into lines,
 *   keeps the ERROR lines with a regular expression, counts them by service and every line by
 *   status with another, and joins the lines into 10,000-line chunks. The same cell in each
 *   language (CELL_JS, CELL_PY); both must print the same result.
 * - a child's sandbox: a parent sandbox's cell calls `rlm_query` (and `rlm_query_batched` of two)
 *   and the bridge creates the child's sandbox right away, as a child RLM does; the Python spare
 *   was just taken by the parent, so the child waits for the next one to boot.
 *
 * - the Python fan-out (python-fan-out.ts): whole `rlm ask` processes, 150 batched sub-calls.
 *
 * Every Python timing starts with no child process using the CPU (settleChildren), since each
 * create starts the next spare booting, which takes the CPU for a while.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsSandbox, PythonSandbox, type Bridge, type Sandbox } from '../src/index.ts';
import { loadChild } from './context-load.ts';
import { checkRow, collect, idleBridge, infoRow, median, MiB, quantile, round, type BenchResult, type Row } from './lib.ts';
import type { LoadChildReport } from './load-child.ts';
import { childPids, cpuMs, otherCpuMeter, settleChildren } from './procs.ts';
import type { PyodideBootReport } from './pyodide-boot-child.ts';
import type { PythonStartReport } from './python-start-child.ts';
import { pythonFanOut } from './python-fan-out.ts';
import { runChild } from './run-child.ts';
import { makeText } from './text.ts';

type Language = 'javascript' | 'python';
const LANGUAGES: Language[] = ['javascript', 'python'];
const NAME: Record<Language, string> = { javascript: 'JS', python: 'Python' };
const LENGTH_CELL: Record<Language, string> = { javascript: 'context.length', python: 'len(context)' };

const RUNS = {
  firstPython: 2,
  coldPython: 3,
  warmPython: 5,
  emptyJs: 7,
  load: { 10: { javascript: 5, python: 3 }, 100: { javascript: 3, python: 3 } },
  trivialWarmup: 50,
  trivial: 500,
  bigCell: 5,
  child: 3,
  childPair: 2,
} as const;
const BIG_BYTES = 44_000_000;
const CHUNK_LINES = 10_000;

/** The 44 MB cell in JavaScript. Date.now() marks the phases (the isolate has no `performance`). */
export const CELL_JS = `
const t0 = Date.now();
const lines = context.split('\\n');
const t1 = Date.now();
const errors = lines.filter((line) => /\\bERROR\\b/.test(line));
const t2 = Date.now();
const byService = {};
for (const line of errors) {
  const service = /service=(\\w+)/.exec(line)?.[1] ?? '?';
  byService[service] = (byService[service] ?? 0) + 1;
}
const byStatus = {};
for (const m of context.matchAll(/status=(\\d{3})/g)) byStatus[m[1]] = (byStatus[m[1]] ?? 0) + 1;
const t3 = Date.now();
const chunks = [];
for (let i = 0; i < lines.length; i += ${CHUNK_LINES}) chunks.push(lines.slice(i, i + ${CHUNK_LINES}).join('\\n'));
const t4 = Date.now();
const sorted = (o) => JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))));
print(lines.length, errors.length, sorted(byService), sorted(byStatus), chunks.length, chunks.reduce((n, c) => n + c.length, 0));
print('phases', t1 - t0, t2 - t1, t3 - t2, t4 - t3);
`;

/** The same cell in Python, written as Python is written (comprehensions, Counter). */
export const CELL_PY = `
import json, re, time
from collections import Counter
t0 = time.perf_counter()
lines = context.split('\\n')
t1 = time.perf_counter()
error_re = re.compile(r'\\bERROR\\b')
errors = [line for line in lines if error_re.search(line)]
t2 = time.perf_counter()
service_re = re.compile(r'service=(\\w+)')
by_service = Counter((m.group(1) if (m := service_re.search(line)) else '?') for line in errors)
by_status = Counter(re.findall(r'status=(\\d{3})', context))
t3 = time.perf_counter()
chunks = ['\\n'.join(lines[i:i + ${CHUNK_LINES}]) for i in range(0, len(lines), ${CHUNK_LINES})]
t4 = time.perf_counter()
sorted_json = lambda c: json.dumps(dict(sorted(c.items())), separators=(',', ':'))
print(len(lines), len(errors), sorted_json(by_service), sorted_json(by_status), len(chunks), sum(len(c) for c in chunks))
print('phases', *(round((b - a) * 1000) for a, b in ((t0, t1), (t1, t2), (t2, t3), (t3, t4))))
`;
const PHASES = ['split', 'regex filter', 'counts', 'chunk'] as const;

function create(language: Language, context: string, bridge: Bridge = idleBridge): Promise<Sandbox> {
  return (language === 'python' ? PythonSandbox : JsSandbox).create({ context, bridge });
}

/** Creates a sandbox, timed; checks the context arrived whole; disposes it. */
async function timedCreate(language: Language, context: string): Promise<number> {
  collect();
  const started = performance.now();
  const sandbox = await create(language, context);
  const ms = performance.now() - started;
  try {
    const cell = await sandbox.run(LENGTH_CELL[language]);
    if (Number(cell.output.trim()) !== context.length)
      throw new Error(`${NAME[language]}: the context holds ${cell.output.trim()} characters, expected ${context.length}`);
  } finally {
    sandbox.dispose();
  }
  return ms;
}

async function timedCreates(language: Language, context: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await settleChildren();
    times.push(await timedCreate(language, context));
  }
  return times;
}

/**
 * Warm Python creates, each with the CPU time the spare's process spent inside the create
 * (loading the context and sealing the interpreter, all its threads), read from /proc.
 */
async function warmPythonCreates(context: string, runs: number): Promise<{ ms: number[]; replCpuMs: number[] }> {
  const ms: number[] = [];
  const replCpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    await settleChildren();
    const spares = childPids();
    if (spares.length !== 1) throw new Error(`expected one spare Python REPL process, found ${spares.length}`);
    const spare = spares[0] as number;
    const before = cpuMs(spare);
    collect();
    const started = performance.now();
    const sandbox = await create('python', context);
    ms.push(performance.now() - started);
    replCpuMs.push(cpuMs(spare) - before);
    try {
      const cell = await sandbox.run(LENGTH_CELL.python);
      if (Number(cell.output.trim()) !== context.length)
        throw new Error(`Python: the context holds ${cell.output.trim()} characters, expected ${context.length}`);
    } finally {
      sandbox.dispose();
    }
  }
  return { ms, replCpuMs };
}

/** Python with no spare (a snapshot exists): each create boots a REPL process, and the pool starts the next spare at once. */
async function coldPythonCreates(runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    PythonSandbox.coolDown();
    await settleChildren();
    times.push(await timedCreate('python', ''));
  }
  PythonSandbox.coolDown();
  return times;
}

interface BigCell {
  createMs: number;
  firstMs: number;
  runsMs: number[];
  /** Per phase (PHASES), the median over the timed runs, as the cell measured itself. */
  phasesMs: number[];
  output: string;
}

async function bigCell(language: Language, text: string): Promise<BigCell> {
  await settleChildren();
  collect();
  let started = performance.now();
  const sandbox = await create(language, text);
  const createMs = performance.now() - started;
  try {
    await settleChildren();
    const code = language === 'python' ? CELL_PY : CELL_JS;
    const run = async () => {
      started = performance.now();
      const cell = await sandbox.run(code);
      const ms = performance.now() - started;
      if (cell.error) throw new Error(`${NAME[language]}: the 44 MB cell failed: ${cell.error}`);
      const [result = '', phases = ''] = cell.output.trim().split('\n');
      return { ms, result, phases: phases.split(' ').slice(1).map(Number) };
    };
    const first = await run();
    const runs: Array<Awaited<ReturnType<typeof run>>> = [];
    for (let i = 0; i < RUNS.bigCell; i++) runs.push(await run());
    const phasesMs = PHASES.map((_, p) => median(runs.map((r) => r.phases[p] ?? Number.NaN)));
    if (runs.some((r) => r.result !== first.result))
      throw new Error(`${NAME[language]}: the 44 MB cell printed different results on different runs`);
    return { createMs, firstMs: first.ms, runsMs: runs.map((r) => r.ms), phasesMs, output: first.result };
  } finally {
    sandbox.dispose();
  }
}

async function trivialCells(language: Language): Promise<number[]> {
  const sandbox = await create(language, 'a small context');
  try {
    await settleChildren();
    for (let i = 0; i < RUNS.trivialWarmup; i++) {
      const cell = await sandbox.run('1 + 1');
      if (cell.output.trim() !== '2' || cell.error) throw new Error(`${NAME[language]}: warm-up cell gave ${JSON.stringify(cell)}`);
    }
    collect();
    const times: number[] = [];
    for (let i = 0; i < RUNS.trivial; i++) {
      const started = performance.now();
      await sandbox.run('1 + 1');
      times.push(performance.now() - started);
    }
    return times;
  } finally {
    sandbox.dispose();
  }
}

/**
 * A parent sandbox is created (taking the spare), and its first cell hands `children` sub-tasks
 * to rlm_query; the bridge creates each child's sandbox at once. Returns the children's create times.
 */
async function childCreates(language: Language, children: 1 | 2): Promise<number[]> {
  await settleChildren();
  const times: number[] = [];
  const bridge: Bridge = {
    ...idleBridge,
    rlm_query: async () => {
      const started = performance.now();
      const child = await create(language, 'the child context');
      times.push(performance.now() - started);
      child.dispose();
      return 'done';
    },
  };
  const parent = await create(language, 'the parent context', bridge);
  try {
    const code =
      language === 'python'
        ? children === 1
          ? "rlm_query('a sub-task')"
          : "rlm_query_batched(['one sub-task', 'another'])"
        : children === 1
          ? "await rlm_query('a sub-task')"
          : "await rlm_query_batched(['one sub-task', 'another'])";
    const cell = await parent.run(code);
    if (cell.error || times.length !== children) throw new Error(`${NAME[language]}: the parent's cell gave ${JSON.stringify(cell)}`);
  } finally {
    parent.dispose();
  }
  return times;
}

const stats = (times: number[]) => ({ medianMs: round(median(times), 1), allMs: times.map((t) => round(t, 1)) });
const roundAll = (report: object) =>
  Object.fromEntries(
    Object.entries(report).map(([key, value]) => [key, typeof value === 'number' && !Number.isInteger(value) ? round(value, 1) : value]),
  );

export async function pythonRepl(): Promise<BenchResult> {
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  const B = '6. python vs js';
  const row = (metric: string, value: number, unit: Row['unit'] = 'ms') => rows.push(infoRow({ benchmark: B, metric, value, unit }));
  const others = otherCpuMeter();
  // A cache of its own, so that the first boot is from scratch whatever the user's cache holds.
  const cacheBefore = process.env.XDG_CACHE_HOME;
  const cache = mkdtempSync(join(tmpdir(), 'rlm-bench-cache-'));
  const useCache = (dir: string) => (process.env.XDG_CACHE_HOME = dir);

  try {
    // Start: JavaScript has no pool; Python's first sandbox of a program, cold (no spare, a
    // snapshot) and warm (a booted spare).
    await timedCreates('javascript', '', 2);
    const jsEmpty = await timedCreates('javascript', '', RUNS.emptyJs);
    PythonSandbox.coolDown();
    const firsts: PythonStartReport[] = [];
    for (let i = 0; i < RUNS.firstPython; i++) {
      useCache(join(cache, `empty-${i}`));
      await settleChildren();
      firsts.push(await runChild<PythonStartReport>('./python-start-child.ts'));
    }
    // The last of those wrote the snapshot to its cache: the next programs boot from it.
    const firstsFromDisk: PythonStartReport[] = [];
    for (let i = 0; i < RUNS.firstPython; i++) {
      await settleChildren();
      firstsFromDisk.push(await runChild<PythonStartReport>('./python-start-child.ts'));
    }
    useCache(join(cache, 'this-program'));
    // This program's first spare boots from scratch and makes the snapshot the rest boot from.
    PythonSandbox.warm();
    const scratchWarm = await warmPythonCreates('', 1);
    const pyCold = await coldPythonCreates(RUNS.coldPython);
    PythonSandbox.warm();
    const pyWarm = await warmPythonCreates('', RUNS.warmPython);
    const pyFirst = firsts.map((r) => r.firstCreateMs);
    details.start = {
      javascript: stats(jsEmpty),
      pythonFirstOfProgram: firsts.map(roundAll),
      pythonFirstOfProgramFromDisk: firstsFromDisk.map(roundAll),
      pythonCold: stats(pyCold),
      pythonWarm: { ...stats(pyWarm.ms), replCpuMs: pyWarm.replCpuMs },
      pythonWarmFromScratchSpare: { ms: round(scratchWarm.ms[0] ?? Number.NaN, 1), replCpuMs: scratchWarm.replCpuMs[0] },
    };
    row(`start, empty context: JS, no pool (median of ${RUNS.emptyJs})`, median(jsEmpty));
    row(`first start of a program (no spare, no snapshot): Python (median of ${RUNS.firstPython})`, median(pyFirst));
    row(
      `first start of a program (no spare; the snapshot on disk): Python (median of ${RUNS.firstPython})`,
      median(firstsFromDisk.map((r) => r.firstCreateMs)),
    );
    row(`cold start (no spare; boots from the snapshot): Python (median of ${RUNS.coldPython})`, median(pyCold));
    row(`warm start (a booted spare): Python (median of ${RUNS.warmPython})`, median(pyWarm.ms));
    row("  CPU of the spare's process during a warm create (median)", median(pyWarm.replCpuMs));
    row("  the same with the program's first spare (booted from scratch, not the snapshot): wall (1 run)", scratchWarm.ms[0] ?? Number.NaN);
    row('  … and CPU of its process', scratchWarm.replCpuMs[0] ?? Number.NaN);

    // CPython's own boot, outside any sandbox: from scratch, from a snapshot, and two from
    // scratch at once (as in a program's first create, whose pool starts the next spare with it).
    PythonSandbox.coolDown();
    await settleChildren();
    const snapshotDir = mkdtempSync(join(tmpdir(), 'rlm-bench-'));
    try {
      const snapshotFile = join(snapshotDir, 'python.snapshot');
      const boot = (args: string[] = []) => runChild<PyodideBootReport>('./pyodide-boot-child.ts', args);
      const scratch = [await boot([`--make-snapshot=${snapshotFile}`]), await boot([`--make-snapshot=${snapshotFile}`])];
      const fromSnapshot = [await boot([`--snapshot=${snapshotFile}`]), await boot([`--snapshot=${snapshotFile}`])];
      const pair = await Promise.all([boot(), boot()]);
      details.pyodideBoot = {
        scratch: scratch.map(roundAll),
        fromSnapshot: fromSnapshot.map(roundAll),
        twoFromScratchAtOnce: pair.map(roundAll),
      };
      row('  CPython boot alone, plain Node, from scratch (loadPyodide, median of 2)', median(scratch.map((r) => r.bootMs)));
      row('  CPython boot alone, plain Node, from the memory snapshot (median of 2)', median(fromSnapshot.map((r) => r.bootMs)));
      row('  CPython boot from scratch, two processes at once (the slower)', Math.max(...pair.map((r) => r.bootMs)));
      row('  size of the memory snapshot', (scratch[0]?.snapshotBytes ?? Number.NaN) / MiB, 'MiB');
    } finally {
      rmSync(snapshotDir, { recursive: true, force: true });
    }

    // Context loads (Python from a warm spare).
    PythonSandbox.warm();
    for (const mib of [10, 100] as const) {
      let text: string | undefined = makeText(mib * MiB);
      const loads: Record<string, unknown> = {};
      for (const language of LANGUAGES) {
        const runs = RUNS.load[mib][language];
        const times = language === 'python' ? (await warmPythonCreates(text, runs)).ms : await timedCreates(language, text, runs);
        loads[language] = stats(times);
        row(`create, ${mib} MiB context: ${NAME[language]}${language === 'python' ? ' (warm)' : ''} (median of ${runs})`, median(times));
      }
      details[`load${mib}MiB`] = loads;
      text = undefined;
      collect();
    }

    // Peak memory holding 100 MiB, each in a process of its own.
    PythonSandbox.coolDown();
    await settleChildren();
    const peaks: Record<Language, LoadChildReport> = { javascript: await loadChild(100), python: await loadChild(100, { python: true }) };
    details.peak100MiB = peaks;
    for (const language of LANGUAGES)
      row(`peak RSS of the REPL process holding 100 MiB: ${NAME[language]}`, peaks[language].replPeakMiB, 'MiB');
    row('  RSS of a booted, idle Python spare (before any context)', peaks.python.replIdleMiB ?? Number.NaN, 'MiB');
    for (const language of LANGUAGES) row(`  peak RSS, host + REPL process: ${NAME[language]}`, peaks[language].peakRssMiB, 'MiB');

    // Trivial cells.
    PythonSandbox.warm();
    const trivial: Record<string, unknown> = {};
    for (const language of LANGUAGES) {
      const times = await trivialCells(language);
      trivial[language] = {
        medianMs: round(median(times), 4),
        p90Ms: round(quantile(times, 0.9), 4),
        p99Ms: round(quantile(times, 0.99), 4),
      };
      row(`trivial cell 1 + 1: ${NAME[language]} (median of ${RUNS.trivial})`, median(times));
      row(`trivial cell 1 + 1: ${NAME[language]} (p90)`, quantile(times, 0.9));
    }
    details.trivialCell = trivial;

    // The 44 MB split / regex / count / chunk cell.
    let big: string | undefined = makeText(BIG_BYTES);
    const lineCount = big.split('\n').length;
    const cells = {} as Record<Language, BigCell>;
    for (const language of LANGUAGES) cells[language] = await bigCell(language, big);
    big = undefined;
    collect();
    details.bigCell = {
      bytes: BIG_BYTES,
      lines: lineCount,
      ...Object.fromEntries(
        LANGUAGES.map((l) => {
          const c = cells[l];
          return [
            l,
            {
              createMs: round(c.createMs, 1),
              firstMs: round(c.firstMs, 1),
              ...stats(c.runsMs),
              phasesMs: Object.fromEntries(PHASES.map((p, i) => [p, c.phasesMs[i]])),
              output: c.output,
            },
          ];
        }),
      ),
    };
    for (const language of LANGUAGES)
      row(`44 MB cell (split, regex, counts, chunks): ${NAME[language]} (median of ${RUNS.bigCell})`, median(cells[language].runsMs));
    for (const language of LANGUAGES) row(`  first run in a fresh sandbox: ${NAME[language]}`, cells[language].firstMs);
    for (const language of LANGUAGES) {
      const c = cells[language];
      for (const [i, phase] of PHASES.entries()) row(`  ${phase}: ${NAME[language]} (in-cell clock, median)`, c.phasesMs[i] ?? Number.NaN);
    }
    for (const language of LANGUAGES)
      row(`  create, 44 MB context: ${NAME[language]}${language === 'python' ? ' (warm)' : ''} (1 run)`, cells[language].createMs);
    const same = cells.javascript.output === cells.python.output;
    rows.push(
      checkRow(
        { benchmark: B, metric: '44 MB cell: JS and Python print the same result', value: same ? 1 : 0, unit: 'count' },
        same,
        'same output',
      ),
    );

    // A child's sandbox, created from inside the parent's first cell.
    const childTimes: Record<string, unknown> = {};
    for (const language of LANGUAGES) {
      const one: number[] = [];
      for (let i = 0; i < RUNS.child; i++) one.push(...(await childCreates(language, 1)));
      const pairs: number[] = [];
      for (let i = 0; i < RUNS.childPair; i++) pairs.push(Math.max(...(await childCreates(language, 2))));
      childTimes[language] = { one: stats(one), twoAtOnceSlower: stats(pairs) };
      row(`child's create right after the parent's: ${NAME[language]} (median of ${RUNS.child})`, median(one));
      row(`  two children at once (rlm_query_batched), the slower: ${NAME[language]} (median of ${RUNS.childPair})`, median(pairs));
    }
    details.childCreate = childTimes;

    // What ran (recorded once, for the JSON): the REPL's code changes fast, so name its commit.
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trim();
    details.commit = git('rev-parse', '--short', 'HEAD');
    details.srcChangedSinceCommit = git('status', '--porcelain', 'src') !== '';
    const probe = await create('python', '');
    details.pythonVersion = (await probe.run('import sys; sys.version.split()[0]')).output.trim().replace(/^'|'$/g, '');
    probe.dispose();
  } finally {
    PythonSandbox.coolDown();
  }

  // Whole rlm ask processes (each with its own cache folder, inside python-fan-out.ts).
  await settleChildren();
  const fanOut = await pythonFanOut();
  rows.push(...fanOut.rows);
  details.fanOut = fanOut.details;
  if (cacheBefore === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = cacheBefore;
  rmSync(cache, { recursive: true, force: true });
  // Busy neighbours make every figure above slower: say how busy.
  await settleChildren();
  const othersPct = others();
  details.otherProcessesCpuPercent = round(othersPct, 1);
  row('CPU used by other processes meanwhile (% of the machine)', Math.round(othersPct), 'count');
  return { id: 'python', title: 'The Python REPL (PythonSandbox) next to the JavaScript one (JsSandbox)', rows, details };
}
