/**
 * Loads one context into a fresh JsSandbox in a process of its own, and reports its memory and
 * that of the REPL process it starts as JSON on stdout, so that nothing measured before (in the
 * parent) inflates the peak.
 *
 *   node --expose-gc bench/load-child.ts <MiB> [--two-byte]
 *
 * RSS is sampled every millisecond while the sandbox is created and held (isolated-vm copies
 * the string on its own thread, so the event loop stays free to sample), and the kernel's own
 * high-water mark (VmHWM in /proc/self/status) is read at the end, which catches any peak
 * between samples. The mark is read once after the text is built and then reset (writing 5 to
 * /proc/self/clear_refs), so the load's own peak is told apart from the cost of building the text.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { JsSandbox } from '../src/index.ts';
import { collect, idleBridge, MiB } from './lib.ts';
import { makeText } from './text.ts';

export interface LoadChildReport {
  mib: number;
  twoByte: boolean;
  /** Characters of the string (fewer than mib * 2^20 when the UTF-8 text has multi-byte characters). */
  chars: number;
  /** RSS (MiB) at start, with the text built (after a GC), and right after the load. */
  rssStartMiB: number;
  rssWithTextMiB: number;
  rssLoadedMiB: number;
  /** VmHWM after building the text: the generator's own peak (Buffer + string). */
  hwmAfterTextMiB: number;
  /** Whether the high-water mark could be reset before the load. */
  hwmReset: boolean;
  /** The peak while loading and holding the context (VmHWM since the reset, and sampled RSS). */
  hwmLoadMiB: number;
  sampledPeakMiB: number;
  samples: number;
  /** The peak of the REPL process that JsSandbox starts (it holds the isolate and its copy). */
  replPeakMiB: number;
  /**
   * The peak while loading and holding the context: this process's (after the text was built;
   * building it is the harness's cost, not rlm's) plus the REPL process's. An upper bound of the
   * two together, since their peaks need not coincide.
   */
  peakRssMiB: number;
  createMs: number;
  /** What `context.length` gave inside the sandbox, as a check that the load happened. */
  lengthInSandbox: number;
}

function vmHwmMiB(pid: number | 'self' = 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}

const rssMiB = () => process.memoryUsage().rss / MiB;

/** Pids of this process's children (the REPL process), from /proc. */
function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (after the parenthesised command name) is the parent's pid.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

async function main(): Promise<void> {
  const mib = Number(process.argv[2] ?? '100');
  const twoByte = process.argv.includes('--two-byte');
  if (!Number.isFinite(mib) || mib <= 0) throw new Error(`usage: load-child.ts <MiB> [--two-byte]`);

  const rssStartMiB = rssMiB();
  // With typographic punctuation (outside Latin-1) V8 keeps the string as UTF-16, two bytes a character.
  const text = makeText(mib * MiB, { wide: twoByte });
  collect();
  const rssWithTextMiB = rssMiB();
  const hwmAfterTextMiB = vmHwmMiB();
  let hwmReset = true;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    hwmReset = false;
  }

  let sampledPeak = rssMiB();
  let samples = 0;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, rssMiB());
    samples++;
  }, 1);
  const started = performance.now();
  const sandbox = await JsSandbox.create({ context: text, bridge: idleBridge });
  const createMs = performance.now() - started;
  const rssLoadedMiB = rssMiB();
  const cell = await sandbox.run('context.length');
  // Hold the context a little while, still sampling.
  await new Promise((resolve) => setTimeout(resolve, 250));
  clearInterval(sampler);
  sampledPeak = Math.max(sampledPeak, rssMiB());
  const hwmLoadMiB = vmHwmMiB();
  const replPeakMiB = childPids().reduce((sum, pid) => sum + vmHwmMiB(pid), 0);
  sandbox.dispose();

  const report: LoadChildReport = {
    mib,
    twoByte,
    chars: text.length,
    rssStartMiB,
    rssWithTextMiB,
    rssLoadedMiB,
    hwmAfterTextMiB,
    hwmReset,
    hwmLoadMiB,
    sampledPeakMiB: sampledPeak,
    samples,
    replPeakMiB,
    peakRssMiB: (hwmReset ? Math.max(hwmLoadMiB, sampledPeak) : Math.max(hwmAfterTextMiB, hwmLoadMiB, sampledPeak)) + replPeakMiB,
    createMs,
    lengthInSandbox: Number(cell.output.trim()),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
