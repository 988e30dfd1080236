/**
 * `rlm/cli-kit`: what a command plugged into `rlm` shares with rlm's own commands, so that it reads
 * its flags, picks its endpoint and ends with the same words and exit codes. `rlm bench` (the
 * rlm-bench package) is built on it.
 *
 * @example
 * const OPTIONS = { name: { type: 'string', value: '<name>', default: 'world', help: 'whom to greet' }, help: HELP_FLAG } as const satisfies Flags;
 * const HELP = renderHelp({ usage: 'Usage: rlm hello [options]', sections: [{ flags: OPTIONS }], column: 24 });
 *
 * export async function hello(argv: string[], io: CliIO): Promise<number> {
 *   const { values } = parseFlags(argv, OPTIONS, 'rlm hello');
 *   io.stdout.write(values.help ? `${HELP}\n` : `hello ${values.name}\n`);
 *   return EXIT.answer;
 * }
 */
export type { CliIO } from './io.ts';
export { EXIT } from './exit-codes.ts';
export { usageError, wholeNumber, usd } from './flags.ts';
export { parseFlags, renderHelp, HELP_FLAG, type Flag, type Flags, type CommandHelp, type HelpSection } from './options.ts';
export { resolveEndpoint, modelMaker, type EndpointConfig, type ConfigInput } from './config.ts';
export { readPrices } from './prices-file.ts';
export { RemoteJobs } from '../queue/remote-jobs.ts';
