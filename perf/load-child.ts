/**
 * Loads one context into a fresh JsSandbox (or PythonSandbox, with --python) in a process of its
 * own, and reports its memory and that of the REPL process it starts as JSON on stdout, so that
 * nothing measured before (in the parent) inflates the peak.
 *
 *   node --expose-gc perf/load-child.ts <MiB> [--two-byte] [--python]
 *
 * RSS is sampled every millisecond while the sandbox is created and held (isolated-vm copies
 * the string on its own thread, so the event loop stays free to sample), and the kernel's own
 * high-water mark (VmHWM in /proc/self/status) is read at the end, which catches any peak
 * between samples. The mark is read once after the text is built and then reset (writing 5 to
 * /proc/self/clear_refs), so the load's own peak is told apart from the cost of building the text.
 *
 * With --python, a spare Python REPL process is booted first (PythonSandbox.warm) and left to
 * finish (the second spare of the program, so booted from the memory snapshot the first made);
 * the sandbox then takes it, as a run does, and its peak is the figure. Its mark is reset
 * too where the kernel lets us, so that CPython's boot is not counted as the load. The pool starts
 * the next spare as the sandbox takes this one; that spare is not counted.
 */
import { writeFileSync } from 'node:fs';
import { JsSandbox, PythonSandbox } from '../src/index.ts';
import { collect, idleBridge, MiB } from './lib.ts';
import { childPids, settleChildren, statusMiB, vmHwmMiB } from './procs.ts';
import { makeText } from './text.ts';

export interface LoadChildReport {
  mib: number;
  twoByte: boolean;
  language: 'javascript' | 'python';
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
  /** The peak of the REPL process of the sandbox (it holds the engine and its copy of the context). */
  replPeakMiB: number;
  /** The REPL process's RSS before the load (Python: the booted spare, idle; JavaScript: not measured). */
  replIdleMiB?: number;
  /** The REPL process's RSS while it holds the context, after the load. */
  replHeldMiB: number;
  /** Whether the REPL process's high-water mark could be reset before the load (Python). */
  replHwmReset?: boolean;
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

const rssMiB = () => process.memoryUsage().rss / MiB;

async function main(): Promise<void> {
  const mib = Number(process.argv[2] ?? '100');
  const twoByte = process.argv.includes('--two-byte');
  const python = process.argv.includes('--python');
  if (!Number.isFinite(mib) || mib <= 0) throw new Error(`usage: load-child.ts <MiB> [--two-byte] [--python]`);

  // The REPL process the Python sandbox will take: a spare that has finished booting.
  let sparePid: number | undefined;
  let replIdleMiB: number | undefined;
  let replHwmReset: boolean | undefined;
  if (python) {
    // The program's first spare boots from scratch and makes the snapshot; the one measured boots
    // from that snapshot, as every later REPL process of a program does.
    PythonSandbox.warm();
    await settleChildren();
    PythonSandbox.coolDown();
    PythonSandbox.warm();
    await settleChildren();
    const pids = childPids();
    if (pids.length !== 1) throw new Error(`expected one spare Python REPL process, found ${pids.length}`);
    sparePid = pids[0];
    replIdleMiB = statusMiB(sparePid as number, 'VmRSS');
  }

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
  if (sparePid !== undefined) {
    try {
      writeFileSync(`/proc/${sparePid}/clear_refs`, '5');
      replHwmReset = true;
    } catch {
      replHwmReset = false;
    }
  }

  let sampledPeak = rssMiB();
  let samples = 0;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, rssMiB());
    samples++;
  }, 1);
  const started = performance.now();
  const sandbox = await (python ? PythonSandbox : JsSandbox).create({ context: text, bridge: idleBridge });
  const createMs = performance.now() - started;
  const rssLoadedMiB = rssMiB();
  const cell = await sandbox.run(python ? 'len(context)' : 'context.length');
  // Hold the context a little while, still sampling.
  await new Promise((resolve) => setTimeout(resolve, 250));
  clearInterval(sampler);
  sampledPeak = Math.max(sampledPeak, rssMiB());
  const hwmLoadMiB = vmHwmMiB();
  // JavaScript: every child is the sandbox's; Python: only the spare it took, not the next spare.
  const replPids = sparePid === undefined ? childPids() : [sparePid];
  const replPeakMiB = replPids.reduce((sum, pid) => sum + vmHwmMiB(pid), 0);
  const replHeldMiB = replPids.reduce((sum, pid) => sum + statusMiB(pid, 'VmRSS'), 0);
  sandbox.dispose();
  if (python) PythonSandbox.coolDown();

  const report: LoadChildReport = {
    mib,
    twoByte,
    language: python ? 'python' : 'javascript',
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
    ...(replIdleMiB === undefined ? {} : { replIdleMiB }),
    replHeldMiB,
    ...(replHwmReset === undefined ? {} : { replHwmReset }),
    peakRssMiB: (hwmReset ? Math.max(hwmLoadMiB, sampledPeak) : Math.max(hwmAfterTextMiB, hwmLoadMiB, sampledPeak)) + replPeakMiB,
    createMs,
    lengthInSandbox: Number(cell.output.trim()),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
