/** `rlm view trace.jsonl`: writes the trace as one self-contained HTML page and prints its path. */
import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { RlmError } from '../errors.ts';
import { readTrace } from '../trace/replay.ts';
import { renderViewer } from '../trace/viewer.ts';
import { usageError } from './flags.ts';
import { EXIT } from './exit-codes.ts';
import type { CliIO } from './io.ts';
import { HELP_FLAG, parseFlags, renderHelp, type Flags } from './options.ts';

const VIEW_OPTIONS = {
  output: { type: 'string', short: 'o', value: '<file>', help: "where the page goes (default: the trace's name with .html)" },
  help: HELP_FLAG,
} as const satisfies Flags;

export const VIEW_HELP = renderHelp({
  usage: 'Usage: rlm view <trace.jsonl> [-o page.html]',
  about: `Writes a trace (rlm ask --trace) as one self-contained HTML page, and prints its path: the
recursion as a tree with every turn's reply and code, a timeline of the calls, search.`,
  sections: [{ flags: VIEW_OPTIONS }],
  column: 23,
});

export async function view(argv: string[], io: CliIO): Promise<number> {
  const parsed = parseFlags(argv, VIEW_OPTIONS, 'rlm view', { positionals: true });
  if (parsed.values.help) {
    io.stdout.write(`${VIEW_HELP}\n`);
    return EXIT.answer;
  }
  const [path, ...extra] = parsed.positionals;
  if (!path || extra.length > 0) throw usageError('rlm view takes one trace file: rlm view <trace.jsonl> [-o page.html]');
  const trace = await readTrace(path);
  const output = resolve(parsed.values.output ?? path.replace(/\.jsonl?$/, '') + '.html');
  try {
    await writeFile(output, renderViewer(trace, `rlm trace: ${basename(path)}`));
  } catch (error) {
    throw new RlmError('RLM_INPUT', `cannot write ${output}: ${(error as Error).message}`);
  }
  io.stdout.write(`${output}\n`);
  return EXIT.answer;
}
