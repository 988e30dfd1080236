/**
 * A program of its own for snapshot.test.ts: its first Python sandbox, one cell that shows the
 * interpreter is sealed (and that the seal's own module, which waits in the snapshot, is gone),
 * then whether its REPL booted from scratch and whether it wrote the snapshot file. The cache folder comes from the environment (XDG_CACHE_HOME) the test gives it.
 * Prints one JSON line.
 */
import { PythonSandbox } from '../../../src/sandboxes/host/python-sandbox.ts';
import { snapshotPlace, snapshotStats } from '../../../src/sandboxes/host/python-snapshot.ts';

const bridge = { llm_query: () => Promise.resolve(''), rlm_query: () => Promise.resolve(''), budget: () => null };
const sandbox = await PythonSandbox.create({ context: 'the context', bridge });
const sealed = await sandbox.run(
  [
    'try:',
    '    import js',
    '    print("imported")',
    'except Exception as e:',
    '    print(type(e).__name__)',
    'import sys',
    "print('_rlm_seal' in sys.modules)",
    'print(context)',
  ].join('\n'),
);
sandbox.dispose();
PythonSandbox.coolDown();
const stats = snapshotStats();
process.stdout.write(
  `${JSON.stringify({ scratchBoots: stats.scratchBoots, written: (await stats.written) ?? null, output: sealed.output, error: sealed.error ?? null, path: snapshotPlace().path })}\n`,
);
