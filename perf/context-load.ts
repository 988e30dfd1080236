/**
 * 2. Loading a context: the time of `JsSandbox.create` (a new isolate, the runtime installed,
 * the string copied in) for 1, 10 and 100 MiB of text, and the peak RSS of a separate process
 * that builds and holds the 100 MiB context (see load-child.ts).
 */
import { JsSandbox } from '../src/index.ts';
import { collect, floorRow, idleBridge, infoRow, median, MiB, round, type BenchResult, type Row } from './lib.ts';
import type { LoadChildReport } from './load-child.ts';
import { runChild } from './run-child.ts';
import { makeText } from './text.ts';

const SIZES = [
  { mib: 1, runs: 9 },
  { mib: 10, runs: 7 },
  { mib: 100, runs: 5 },
];
const PEAK_MIB = 100;

export async function contextLoad(): Promise<BenchResult> {
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};

  // The fixed cost of a sandbox, with (almost) no context to copy.
  await createTimes('', 3);
  const empty = await createTimes('', 9);
  details.emptyCreateMedianMs = round(median(empty));
  rows.push(infoRow({ benchmark: '2. context load', metric: 'create, empty context (median of 9)', value: median(empty), unit: 'ms' }));

  for (const { mib, runs } of SIZES) {
    let text: string | undefined = makeText(mib * MiB);
    const times = await createTimes(text, runs);
    text = undefined;
    collect();
    const med = median(times);
    details[`create${mib}MiB`] = {
      runs,
      medianMs: round(med),
      allMs: times.map((t) => round(t)),
      mibPerSecond: round(mib / (med / 1000), 1),
    };
    const metric = `create, ${mib} MiB (median of ${runs})`;
    rows.push(
      mib === 100
        ? floorRow({ benchmark: '2. context load', metric, value: med, unit: 'ms', limit: 1000 })
        : infoRow({ benchmark: '2. context load', metric, value: med, unit: 'ms' }),
    );
  }

  const peak = await loadChild(PEAK_MIB);
  details.peak100MiB = peak;
  const limit = 4 * PEAK_MIB + 200;
  rows.push(
    floorRow({
      benchmark: '2. context load',
      metric: `peak RSS holding ${PEAK_MIB} MiB (host + REPL process)`,
      value: peak.peakRssMiB,
      unit: 'MiB',
      limit,
    }),
  );
  rows.push(infoRow({ benchmark: '2. context load', metric: '  of which the REPL process', value: peak.replPeakMiB, unit: 'MiB' }));
  rows.push(
    infoRow({
      benchmark: '2. context load',
      metric: '  growth of the host process while loading',
      value: peak.hwmLoadMiB - peak.rssWithTextMiB,
      unit: 'MiB',
    }),
  );

  // For information: 100 MiB of UTF-8 text with typographic punctuation (outside Latin-1), which
  // V8 holds as a two-byte (UTF-16) string: twice the memory, on both sides of the copy.
  const wide = await loadChild(PEAK_MIB, { twoByte: true });
  details.peak100MiBTwoByte = wide;
  rows.push(
    infoRow({
      benchmark: '2. context load',
      metric: `UTF-16 string (${PEAK_MIB} MiB UTF-8): create, 1 run`,
      value: wide.createMs,
      unit: 'ms',
    }),
  );
  rows.push(
    infoRow({
      benchmark: '2. context load',
      metric: `UTF-16 string (${PEAK_MIB} MiB UTF-8): peak RSS`,
      value: wide.peakRssMiB,
      unit: 'MiB',
    }),
  );

  return { id: 'context-load', title: 'Loading a context into a fresh JsSandbox', rows, details };
}

async function createTimes(text: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    collect();
    const started = performance.now();
    const sandbox = await JsSandbox.create({ context: text, bridge: idleBridge });
    times.push(performance.now() - started);
    // Make sure the context really is there before counting the run.
    const cell = await sandbox.run('context.length');
    sandbox.dispose();
    if (Number(cell.output.trim()) !== text.length)
      throw new Error(`context.length in the sandbox is ${cell.output.trim()}, expected ${text.length}`);
  }
  return times;
}

/** Runs load-child.ts in a process of its own (a JsSandbox, or a PythonSandbox with `python`). */
export async function loadChild(mib: number, options: { twoByte?: boolean; python?: boolean } = {}): Promise<LoadChildReport> {
  const args = [String(mib), ...(options.twoByte ? ['--two-byte'] : []), ...(options.python ? ['--python'] : [])];
  const report = await runChild<LoadChildReport>('./load-child.ts', args, ['--expose-gc']);
  if (report.lengthInSandbox !== report.chars)
    throw new Error(`the child's sandbox holds ${report.lengthInSandbox} characters, expected ${report.chars}`);
  return Object.fromEntries(
    Object.entries(report).map(([key, value]) => [key, typeof value === 'number' && !Number.isInteger(value) ? round(value, 1) : value]),
  ) as unknown as LoadChildReport;
}
