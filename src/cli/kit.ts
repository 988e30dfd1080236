/**
 * `rlm/cli-kit`: what a command plugged into `rlm` shares with rlm's own commands, so that it reads
 * its flags, picks its endpoint and ends with the same words and exit codes. `rlm bench` (the
 * rlm-bench package) is built on it.
 *
 * @example
 * export async function hello(argv: string[], io: CliIO): Promise<number> {
 *   const { values } = parseCommandArgs({ args: argv, options: { name: { type: 'string' } } }, 'rlm hello --help');
 *   io.stdout.write(`hello ${values.name ?? 'world'}\n`);
 *   return EXIT.answer;
 * }
 */
export type { CliIO } from './io.ts';
export { EXIT } from './exit-codes.ts';
export { usageError, wholeNumber, usd, parseCommandArgs } from './flags.ts';
export { resolveEndpoint, modelMaker, type EndpointConfig, type ConfigInput } from './config.ts';
export { readPrices } from './prices-file.ts';
