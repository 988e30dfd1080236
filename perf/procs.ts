/** This process's child processes (the REPL processes) as /proc shows them: pids, memory, CPU. */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of this process's children, from /proc. */
export function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 (after the parenthesised command name) is the parent's pid.
      if (statFields(Number(entry))[1] === String(process.pid)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** A field of /proc/<pid>/status in MiB (VmHWM: the peak RSS; VmRSS: the RSS now). */
export function statusMiB(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}

export function vmHwmMiB(pid: number | 'self' = 'self'): number {
  return statusMiB(pid, 'VmHWM');
}

/** The fields of /proc/<pid>/stat after the command name (the first is the state). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU time (user + system, in clock ticks) used so far by this process's children, and whether
 * any of their threads is running or waiting for a CPU (state R): on a busy machine a booting
 * process can get no tick for a while without having finished.
 */
function childActivity(): { ticks: number; running: boolean } {
  let ticks = 0;
  let running = false;
  for (const pid of childPids()) {
    try {
      const fields = statFields(pid);
      // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        if (readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8').split(') ')[1]?.startsWith('R')) running = true;
      }
    } catch {
      // ended
    }
  }
  return { ticks, running };
}

/**
 * Waits until no child process uses the CPU (no tick and no thread running for 300 ms): a spare
 * REPL that was booting has booted, and nothing left from the last measurement competes with the
 * next one. Returns how long it waited.
 */
export async function settleChildren(timeoutMs = 20_000): Promise<number> {
  const started = performance.now();
  let last = childActivity().ticks;
  let quiet = 0;
  while (quiet < 3 && performance.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = childActivity();
    quiet = now.ticks === last && !now.running ? quiet + 1 : 0;
    last = now.ticks;
  }
  return performance.now() - started;
}

/** CPU time (user + system, all threads) a process has used so far, in ms (10 ms steps). */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Clock ticks of the whole machine (busy, and in all) and of this process with its reaped children. */
function machineTicks(): { busy: number; total: number; own: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
  const self = statFields(process.pid);
  // utime, stime, cutime, cstime: fields 14-17 of stat, 12-15 after the command name.
  const own = Number(self[11]) + Number(self[12]) + Number(self[13]) + Number(self[14]);
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal, own };
}

/**
 * Measures how much of the machine's CPU went to processes other than this one and its
 * children between `start()` and the call of the function it returns: a benchmark run while
 * something else kept the CPUs busy is not worth much. Children still running at the end are
 * not counted as ours, so end it once they are gone.
 */
export function otherCpuMeter(): () => number {
  const start = machineTicks();
  return () => {
    const end = machineTicks();
    const total = end.total - start.total;
    return total > 0 ? (100 * Math.max(0, end.busy - start.busy - (end.own - start.own))) / total : 0;
  };
}
