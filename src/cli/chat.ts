/**
 * `rlm chat`: a session in the terminal. Questions are read a line at a time; each runs as one
 * question of an RLM session, with the progress line on stderr and the answer on stdout. Ctrl-C
 * cancels the question running, never the session; at the prompt it says how to leave.
 */
import { createInterface } from 'node:readline';
import { DEFAULTS } from '../config.ts';
import { RLM } from '../rlm.ts';
import type { RlmSession } from '../session.ts';
import type { EventSink, RlmEvent } from '../trace/events.ts';
import { CHAT_HELP, parseAskArgs } from './args.ts';
import { readContext, readCorpus } from './context-input.ts';
import { EXIT } from './exit-codes.ts';
import { usageError } from './flags.ts';
import type { CliIO } from './io.ts';
import { Progress } from './progress.ts';
import { report } from './run-report.ts';
import { setUpRun } from './run-setup.ts';
import { forStream } from './terminal-text.ts';
import { turnLog } from './turn-log.ts';

export async function chat(argv: string[], io: CliIO): Promise<number> {
  const args = parseAskArgs(argv, 'chat');
  if (args.help) {
    io.stdout.write(`${CHAT_HELP}\n`);
    return EXIT.answer;
  }
  if (args.contexts.length === 0 && !args.resume) throw usageError('rlm chat needs a context: rlm chat -c <path> (see rlm chat --help)');
  if (args.contexts.includes('-')) throw usageError('rlm chat reads its questions from standard input: give the context as a path');
  const setup = await setUpRun(args, io);
  const trace = setup.tracePath ? new (await import('../trace/jsonl.ts')).JsonlTrace(setup.tracePath, setup.traced) : undefined;

  // Each question gets its own progress line; the trace and the turn log last the session.
  let progress: Progress | undefined;
  const print = (text: string) => (progress ? progress.print(text) : io.stderr.write(`${forStream(text, io.stderrIsTTY)}\n`));
  const log = args.verbose ? turnLog({ write: print }) : undefined;
  const onEvent: EventSink = (event: RlmEvent) => {
    trace?.onEvent(event);
    log?.(event);
    progress?.onEvent(event);
  };
  const rlm = new RLM({ ...setup.options, onEvent });
  const memoryLimitMb = setup.options.memoryLimitMb ?? DEFAULTS.memoryLimitMb;
  const interactive = (io.stdin as { isTTY?: boolean }).isTTY === true;
  let session: RlmSession | undefined;
  let asking: AbortController | undefined;
  let warned = false;
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: interactive, prompt: '> ' });
  const interrupt = () => {
    if (asking) {
      asking.abort();
      return;
    }
    if (warned) return rl.close();
    warned = true;
    io.stderr.write('\n(Ctrl-C again, /exit or Ctrl-D to leave)\n');
    if (interactive) rl.prompt();
  };
  rl.on('SIGINT', interrupt);
  process.on('SIGINT', interrupt);
  try {
    if (setup.resumed) {
      if (!args.quiet) io.stderr.write(`rlm: reopening the session of ${setup.tracePath}\n`);
      session = await rlm.reopenSession(setup.resumed.trace, setup.context === undefined ? {} : { context: setup.context });
    } else {
      session = rlm.session({ context: setup.context! });
    }
    if (interactive) rl.prompt();
    for await (const line of rl) {
      warned = false;
      const text = line.trim();
      // A line that starts with / is a command; a question that must, starts with a space.
      const [command = ''] = line.startsWith('/') ? text.split(/\s/, 1) : [];
      if (command === '/exit' || command === '/quit') break;
      if (command === '/usage') io.stderr.write(`rlm: ${usageLine(session)}\n`);
      else if (command === '/add') await addContext(session, text.slice('/add'.length).trim(), io, memoryLimitMb);
      else if (command !== '') io.stderr.write(`rlm: ${forStream(command, io.stderrIsTTY)} is not a command: ${COMMANDS}\n`);
      else if (text !== '') {
        asking = new AbortController();
        progress = args.quiet
          ? undefined
          : new Progress({ stream: io.stderr, interactive: io.stderrIsTTY, columns: () => (io.stderr as { columns?: number }).columns });
        try {
          const result = await session.ask(text, { signal: asking.signal });
          progress?.stop();
          progress = undefined;
          report(result, { json: false, quiet: args.quiet }, io);
        } finally {
          progress?.stop();
          progress = undefined;
          asking = undefined;
        }
      }
      if (interactive) rl.prompt();
    }
    return EXIT.answer;
  } finally {
    rl.close();
    process.removeListener('SIGINT', interrupt);
    session?.close();
    setup.close();
    await trace?.close();
  }
}

/** What a line that starts with `/` may be. */
const COMMANDS = '/add <path>, /usage, /exit (to ask something that starts with /, begin the line with a space)';

/** `/add <path>`: one more context, loaded as the next `context_<n>`. */
async function addContext(session: RlmSession, path: string, io: CliIO, memoryLimitMb: number): Promise<void> {
  try {
    if (path === '') throw usageError('/add needs a path: /add <file, folder or glob>');
    if (path === '-') throw usageError('/add - would read the questions: give a file, a folder or a glob');
    const corpus = await readCorpus([path], { memoryLimitMb });
    if (corpus?.onDisk) throw usageError(`${path} is too large to add to a session: start a chat over it (rlm chat -c ${path})`);
    const value = corpus ? corpus.contextValue() : await readContext([path], io.stdin);
    const name = await session.addContext(value);
    io.stderr.write(`rlm: added ${forStream(`${path} as ${name}${corpus ? ` (${corpus.summary()})` : ''}`, io.stderrIsTTY)}\n`);
  } catch (error) {
    io.stderr.write(`rlm: ${forStream(error instanceof Error ? error.message : String(error), io.stderrIsTTY)}\n`);
  }
}

function usageLine(session: RlmSession): string {
  const { calls, inputTokens, outputTokens, costUsd } = session.usage;
  return `this session: ${calls} calls, ${(inputTokens + outputTokens).toLocaleString('en-US')} tokens, $${costUsd.toFixed(4)}`;
}
