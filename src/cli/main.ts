/** The `rlm` command: sub-command dispatch and the one place errors become exit codes. */
import { readFileSync } from 'node:fs';
import { ask } from './ask.ts';
import { bench } from './bench.ts';
import { demo } from './demo.ts';
import { replay } from './replay.ts';
import { view } from './view.ts';
import { errorLine, EXIT, exitCodeForError } from './exit-codes.ts';
import { forStream } from './terminal-text.ts';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  stderrIsTTY: boolean;
  /** Whether stdout is a terminal: an answer shown there has its control characters escaped. */
  stdoutIsTTY?: boolean;
  env: NodeJS.ProcessEnv;
}

const HELP = `Usage: rlm <command> [options]

Commands:
  ask "<query>" --context <file>   answer a query over a long context (rlm ask --help)
  demo                             run a real RLM over a bundled long text against a scripted model
  replay <trace.jsonl>             run a recorded run (rlm ask --trace) again, offline
  view <trace.jsonl> [-o page]     write the trace as one HTML page (tree, timeline, search)
  bench run [options]              score rlm and the baselines on generated tasks: a table and a chart (rlm bench --help)
  bench export [options]           write the benchmark's tasks (sniah, oolong, oolong-pairs, browsecomp, codeqa) as JSONL
  bench report <results>...        one table and chart from several benches: models side by side

Options: -h, --help, --version`;

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'ask':
        return await ask(rest, io);
      case 'demo':
        return await demo(rest, io);
      case 'replay':
        return await replay(rest, io);
      case 'view':
        return await view(rest, io);
      case 'bench':
        return await bench(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(`${HELP}\n`);
        return command === undefined ? 2 : 0;
      case '--version':
      case '-v':
        io.stdout.write(`${version()}\n`);
        return 0;
      default:
        io.stderr.write(`rlm: unknown command '${command}' (commands: ask, demo, replay, view, bench; see rlm --help)\n`);
        return 2;
    }
  } catch (error) {
    io.stderr.write(`${forStream(errorLine(error), io.stderrIsTTY)}\n`);
    return exitCodeForError(error);
  }
}

function processIO(): CliIO {
  // A reader that stops early (`rlm bench export | head`) closes the pipe. What it did not read
  // is not wanted, so the command ends there, quietly, as Unix tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') process.stderr.write(`${errorLine(error)}\n`);
    process.exit(error.code === 'EPIPE' ? EXIT.answer : EXIT.noAnswer);
  });
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, stderrIsTTY: process.stderr.isTTY === true, stdoutIsTTY: process.stdout.isTTY === true, env: process.env };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
