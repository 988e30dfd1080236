/**
 * Runs the real `rlm` command in a child process: the core's own test helper, as rlm-bench plugs
 * into that command. In this workspace the core's `rlm` is the checkout's root, the same command.
 */
export { BIN, noStack, runCli, type CliRun } from '../../../../test/cli/support.ts';
