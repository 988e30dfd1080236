/**
 * The `rlm` command: sub-command dispatch and the one place errors become exit codes. Each
 * command's module is imported only when that command runs, so that `rlm ask` does not pay at
 * start-up for the trace viewer, the demo or the benchmark.
 */
import { readFileSync } from 'node:fs';
import { errorLine, EXIT, exitCodeForError } from './exit-codes.ts';
import { processIO, type CliIO } from './io.ts';
import { forStream } from './terminal-text.ts';

export type { CliIO } from './io.ts';

type Command = (argv: string[], io: CliIO) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  ask: async () => (await import('./ask.ts')).ask,
  chat: async () => (await import('./chat.ts')).chat,
  demo: async () => (await import('./demo.ts')).demo,
  replay: async () => (await import('./replay.ts')).replay,
  view: async () => (await import('./view.ts')).view,
  serve: async () => (await import('./serve.ts')).serve,
  mcp: async () => (await import('./mcp.ts')).mcp,
  worker: async () => (await import('./worker.ts')).worker,
  bench: async () => (await import('./bench-plugin.ts')).benchCommand(),
};

const HELP = `Usage: rlm <command> [options]

Commands:
  ask "<query>" --context <path>   answer a query over a long context (rlm ask --help)
  chat --context <path>            a conversation over a context: follow-ups reuse the REPL (rlm chat --help)
  demo                             run a real RLM over a bundled long text against a scripted model
  replay <trace.jsonl>             run a recorded run (rlm ask --trace) again, offline
  view <trace.jsonl> [-o page]     write the trace as one HTML page (tree, timeline, search)
  serve [--corpus name=path]...    an OpenAI-compatible server, runs as jobs, a live web page and MCP (rlm serve --help)
  mcp [--root <dir>]...            an MCP server over stdio for coding agents (rlm mcp --help)
  worker --redis <url>             run the runs rlm serve --redis queues, on any machine (rlm worker --help)
  bench run [options]              score rlm and the baselines on generated tasks: a table and a chart (rlm bench --help)
  bench export [options]           write the benchmark's tasks (sniah, oolong, oolong-pairs, browsecomp, codeqa) as JSONL
  bench report <results>...        one table and chart from several benches: models side by side
                                   (the bench commands come with the rlm-bench package)

Options: -h, --help, --version`;

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const load = command === undefined ? undefined : COMMANDS[command];
    if (load) return await (await load())(rest, io);
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(`${HELP}\n`);
        return command === undefined ? EXIT.usage : EXIT.answer;
      case '--version':
      case '-v':
        io.stdout.write(`${version()}\n`);
        return EXIT.answer;
      default:
        io.stderr.write(
          `rlm: unknown command '${command}' (commands: ask, chat, demo, replay, view, serve, mcp, worker, bench; see rlm --help)\n`,
        );
        return EXIT.usage;
    }
  } catch (error) {
    io.stderr.write(`${forStream(errorLine(error), io.stderrIsTTY)}\n`);
    return exitCodeForError(error);
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
