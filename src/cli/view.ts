/** `rlm view trace.jsonl`: writes the trace as one self-contained HTML page and prints its path. */
import { writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RlmError } from '../errors.ts';
import { readTrace } from '../trace/replay.ts';
import { renderViewer } from '../trace/viewer.ts';
import { usageError } from './flags.ts';
import { EXIT } from './exit-codes.ts';
import type { CliIO } from './io.ts';

export const VIEW_HELP = `Usage: rlm view <trace.jsonl> [-o page.html]

Writes a trace (rlm ask --trace) as one self-contained HTML page, and prints its path: the
recursion as a tree with every turn's reply and code, a timeline of the calls, search.

  -o, --output <file>   where the page goes (default: the trace's name with .html)
  -h, --help            this help`;

export async function view(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(`${(error as Error).message.split('\n')[0]} (rlm view <trace.jsonl> [-o page.html])`);
  }
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
