/**
 * A program of its own for snapshot.test.ts: its first Python sandbox, one cell that shows the
 * interpreter is sealed, then whether its REPL booted from scratch and whether it wrote the
 * snapshot file. The cache folder comes from the environment (XDG_CACHE_HOME) the test gives it.
 * Prints one JSON line.
 */
import { PythonSandbox } from '../../../src/sandboxes/python/python-sandbox.ts';
import { snapshotPlace, snapshotStats } from '../../../src/sandboxes/python/snapshot.ts';

const bridge = { llm_query: () => Promise.resolve(''), rlm_query: () => Promise.resolve(''), budget: () => null };
const sandbox = await PythonSandbox.create({ context: 'the context', bridge });
const sealed = await sandbox.run('try:\n    import js\n    print("imported")\nexcept Exception as e:\n    print(type(e).__name__)\nprint(context)');
sandbox.dispose();
PythonSandbox.coolDown();
const stats = snapshotStats();
process.stdout.write(`${JSON.stringify({ scratchBoots: stats.scratchBoots, written: (await stats.written) ?? null, output: sealed.output, error: sealed.error ?? null, path: snapshotPlace().path })}\n`);
