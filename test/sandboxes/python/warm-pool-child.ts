/**
 * A program of its own for warm-pool.test.ts: how many Python REPL processes it has after its
 * first sandbox, and after its second (`--keep`: warm({ keep: true }) first). Prints one JSON line.
 */
import { PythonSandbox } from '../../../src/sandboxes/host/python-sandbox.ts';
import { replProcesses } from '../support.ts';

const ENTRY = /repl-process[/\\]python-main\.[jt]s$/;
const bridge = { llm_query: () => Promise.resolve(''), rlm_query: () => Promise.resolve(''), budget: () => null };
const settle = () => new Promise((resolve) => setImmediate(resolve));

PythonSandbox.warm({ keep: process.argv.includes('--keep') });
const first = await PythonSandbox.create({ context: 'one', bridge });
// A top-up starts as soon as the taken process reports it has booted, which is before create ends.
await settle();
const afterFirst = replProcesses(ENTRY).length;
const second = await PythonSandbox.create({ context: 'two', bridge });
await settle();
const afterSecond = replProcesses(ENTRY).length;
first.dispose();
second.dispose();
PythonSandbox.coolDown();
process.stdout.write(`${JSON.stringify({ afterFirst, afterSecond })}\n`);
