/** `rlm replay trace.jsonl`: runs a recorded run again, offline, from its trace. */
import { readTrace, replayTrace } from '../trace/replay.ts';
import { readContext } from './context-input.ts';
import { usageError } from './flags.ts';
import { EXIT } from './exit-codes.ts';
import { forStream } from './terminal-text.ts';
import type { CliIO } from './io.ts';
import { HELP_FLAG, parseFlags, renderHelp, type Flags } from './options.ts';

const REPLAY_OPTIONS = {
  context: {
    type: 'string',
    short: 'c',
    multiple: true,
    value: '<file|->',
    help: "the run's context, when the trace refers to a context file that is not\nwhere it was (checked against the recorded hash); repeat it for a list",
  },
  json: { type: 'boolean', help: 'print { answer, status, same, recorded, divergence } as one object' },
  quiet: { type: 'boolean', short: 'q', help: 'no line on stderr about the replay' },
  help: HELP_FLAG,
} as const satisfies Flags;

export const REPLAY_HELP = renderHelp({
  usage: 'Usage: rlm replay [options] <trace.jsonl>',
  about: `Runs a recorded run (rlm ask --trace) again, offline: the same code in the same REPL, with the
model's replies and the tools' results taken from the trace. Prints the answer and says whether
it is the one recorded: a regression test for prompts and code.`,
  sections: [{ title: 'Options:', flags: REPLAY_OPTIONS }],
  notes: `A trace records its context file by path and hash unless it was written with
rlm ask --trace-context=embed; the file is looked for where it was, then beside the trace.
Exit codes: 0 same answer as recorded, 1 a different answer (or none), 2 bad usage or input.`,
  column: 27,
});

export async function replay(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlags(argv, REPLAY_OPTIONS, 'rlm replay', { positionals: true });
  if (parsed.values.help) {
    io.stdout.write(`${REPLAY_HELP}\n`);
    return EXIT.answer;
  }
  const [path, ...extra] = parsed.positionals;
  if (!path || extra.length > 0)
    throw usageError('rlm replay takes one trace file: rlm replay [options] <trace.jsonl> (see rlm replay --help)');
  const trace = await readTrace(path);
  const contexts = parsed.values.context ?? [];
  const context = contexts.length > 0 ? await readContext(contexts, io.stdin) : undefined;
  const { result, recorded, same, divergence } = await replayTrace(trace, context === undefined ? {} : { context });
  if (parsed.values.json) {
    io.stdout.write(
      `${JSON.stringify({ answer: result.answer ?? null, status: result.status, same, recorded: recorded ?? null, divergence: divergence ?? null })}\n`,
    );
  } else if (result.answer !== undefined) {
    io.stdout.write(`${forStream(result.answer, io.stdoutIsTTY === true)}\n`);
  }
  if (!parsed.values.quiet) {
    io.stderr.write(
      same
        ? `rlm: replayed ${path}: same answer as recorded (${result.iterations} turns)\n`
        : `rlm: replayed ${path}: the answer differs from the recorded one\n`,
    );
  }
  // Where the replay first left the recorded run says more than what failed after it.
  const reason = divergence ?? result.error;
  if (reason && !same) io.stderr.write(`rlm: ${reason.message.split('\n')[0]}\n`);
  return same ? EXIT.answer : EXIT.noAnswer;
}
