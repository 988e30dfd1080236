/**
 * `rlm bench export`: writes a set of benchmark task instances (S-NIAH, OOLONG, OOLONG-Pairs) as
 * JSONL — context, query, ground truth and how to score it — so that any system can be run on
 * exactly the same tasks. Deterministic by seed.
 */
import { createWriteStream, openSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { generateTask, parseTokens, TASK_FAMILIES, type TaskFamily } from '../tasks/index.ts';
import { usageError } from './args.ts';
import type { CliIO } from './main.ts';

const HELP = `Usage: rlm bench export [options]

Writes benchmark task instances as JSONL, one object a line:
{ id, family, targetTokens, seed, query, context, answer, score, options? }

Options:
      --tasks <list>     families, comma-separated: ${TASK_FAMILIES.join(', ')} (default: all)
      --sizes <list>     target sizes in tokens, e.g. 8k,32k,131k,1m (default: 8k,32k,131k)
  -n, --instances <n>    instances per family and size (default 5)
      --seed <n>         the seed; the same seed gives the same tasks (default 1)
  -o, --output <file>    write there instead of stdout`;

export async function bench(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(`${HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'export') throw usageError(`unknown bench command '${sub}' (rlm bench export; see rlm bench --help)`);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        tasks: { type: 'string' },
        sizes: { type: 'string' },
        instances: { type: 'string', short: 'n' },
        seed: { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw usageError(`${(error as Error).message.split('\n')[0]} (see rlm bench --help)`);
  }
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const families = (values.tasks ?? TASK_FAMILIES.join(',')).split(',').map((name) => name.trim());
  for (const family of families) {
    if (!(TASK_FAMILIES as readonly string[]).includes(family)) throw usageError(`--tasks: unknown task '${family}' (tasks: ${TASK_FAMILIES.join(', ')})`);
  }
  const sizes = (values.sizes ?? '8k,32k,131k').split(',').map((size) => {
    try {
      return parseTokens(size);
    } catch (error) {
      throw usageError(`--sizes: ${(error as Error).message}`);
    }
  });
  const instances = wholeNumber('--instances', values.instances, 5, 1);
  const seed = wholeNumber('--seed', values.seed, 1, 0);

  const out = values.output ? createWriteStream('', { fd: openOutput(values.output) }) : io.stdout;
  for (const family of families as TaskFamily[]) {
    for (const size of sizes) {
      for (let index = 0; index < instances; index++) {
        // One instance in memory at a time: a 10M-token line is about 40 MB.
        if (!out.write(`${JSON.stringify(generateTask(family, size, index, seed))}\n`)) await once(out, 'drain');
      }
    }
  }
  if (values.output) {
    out.end();
    await once(out, 'finish');
    io.stderr.write(`rlm: wrote ${families.length * sizes.length * instances} tasks to ${values.output}\n`);
  }
  return 0;
}

/** Opens the output file now, so that a bad path is a usage error before any work. */
function openOutput(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (error) {
    throw usageError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function wholeNumber(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw usageError(`${flag} expects a whole number of at least ${min}, got '${raw}'`);
  return value;
}
