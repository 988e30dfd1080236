/** Runs a measurement script in a Node process of its own, for figures only a fresh process can give. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs `script` (relative to perf/, or a file URL) with `args` and Node `flags`; returns the JSON it printed last. */
export async function runChild<T>(script: string, args: string[] = [], flags: string[] = []): Promise<T> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, [...flags, path, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as T;
}
