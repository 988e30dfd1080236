/** What the benchmarks ran on. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

export interface Machine {
  cpuModel: string;
  /** Logical CPUs the OS reports, and how many this process may use. */
  cpus: number;
  availableParallelism: number;
  memoryMiB: number;
  /** cgroup limits, when the process runs under them (containers). */
  cgroupCpuMax?: string;
  cgroupMemoryMaxMiB?: number;
  os: string;
  node: string;
  v8: string;
  isolatedVm: string;
  /** 1-minute load average when the run started: high values mean noisy figures. */
  loadAverage1m: number;
}

export function describeMachine(): Machine {
  const machine: Machine = {
    cpuModel: cpuModel(),
    cpus: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    isolatedVm: packageVersion('isolated-vm'),
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
  const cpuMax = read('/sys/fs/cgroup/cpu.max');
  if (cpuMax && !cpuMax.startsWith('max')) machine.cgroupCpuMax = cpuMax;
  const memoryMax = read('/sys/fs/cgroup/memory.max');
  if (memoryMax && /^\d+$/.test(memoryMax)) machine.cgroupMemoryMaxMiB = Math.round(Number(memoryMax) / 2 ** 20);
  return machine;
}

function cpuModel(): string {
  const info = read('/proc/cpuinfo');
  const match = info && /^model name\s*:\s*(.+)$/m.exec(info);
  return match?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
