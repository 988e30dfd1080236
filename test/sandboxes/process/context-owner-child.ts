/**
 * A program of its own for context-dir.test.ts: starts a JavaScript sandbox, prints the folder
 * that holds its context, and waits to be killed.
 */
import { readFileSync } from 'node:fs';
import { JsSandbox } from '../../../src/sandboxes/host/js-sandbox.ts';

const bridge = { llm_query: () => Promise.resolve(''), rlm_query: () => Promise.resolve(''), budget: () => null };
await JsSandbox.create({ context: 'a secret context', bridge });
const children = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number)
      .flatMap((c) => [c, ...children(c)]);
  } catch {
    return [];
  }
};
const dirs = children(process.pid)
  .flatMap((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'))
  .filter((a) => a.includes('rlm-repl-'));
process.stdout.write(`${JSON.stringify({ dir: dirs[0]!.replace('--allow-fs-read=', '') })}\n`);
setInterval(() => undefined, 1000);
