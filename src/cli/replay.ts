/** `rlm replay trace.jsonl`: runs a recorded run again, offline, from its trace. */
import { parseArgs } from 'node:util';
import { readTrace, replayTrace } from '../trace/replay.ts';
import { usageError } from './flags.ts';
import { EXIT } from './exit-codes.ts';
import type { CliIO } from './main.ts';

export async function replay(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(`${(error as Error).message.split('\n')[0]} (rlm replay [--json] [--quiet] <trace.jsonl>)`);
  }
  const [path, ...extra] = parsed.positionals;
  if (!path || extra.length > 0) throw usageError('rlm replay takes one trace file: rlm replay <trace.jsonl>');
  const trace = await readTrace(path);
  const { result, recorded, same } = await replayTrace(trace);
  if (parsed.values.json) {
    io.stdout.write(`${JSON.stringify({ answer: result.answer ?? null, status: result.status, same, recorded: recorded ?? null })}\n`);
  } else if (result.answer !== undefined) {
    io.stdout.write(`${result.answer}\n`);
  }
  if (!parsed.values.quiet) {
    io.stderr.write(same ? `rlm: replayed ${path}: same answer as recorded (${result.iterations} turns)\n` : `rlm: replayed ${path}: the answer differs from the recorded one\n`);
  }
  if (result.error && !same) io.stderr.write(`rlm: ${result.error.message.split('\n')[0]}\n`);
  return same ? EXIT.answer : EXIT.noAnswer;
}
