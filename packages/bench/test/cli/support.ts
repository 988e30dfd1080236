/** Runs the real `rlm` command (of the core this package plugs into) in a child process. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The core's `rlm` command: its entry point is one level down from the package's folder. */
export const BIN = fileURLToPath(new URL('../bin/rlm.js', import.meta.resolve('rlm')));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { env?: Record<string, string>; stdin?: string | Buffer } = {}): Promise<CliRun> {
  // A clean environment: no provider keys leak in from the machine running the tests.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** True if the text has no stack trace in it. */
export function noStack(text: string): boolean {
  return !/^\s+at .+(:\d+:\d+\)?|\(native\))$/m.test(text);
}
