/**
 * How a finished run is told: the answer alone on stdout, or nothing there and one line on stderr
 * saying why there is none (which limit, how far the run got). A run with no answer never prints
 * something that looks like one.
 */
import { formatTokens } from '../run-progress.ts';
import type { UsageReport } from '../budget.ts';
import type { RunResult } from '../rlm.ts';
import { exitCodeForRun } from './exit-codes.ts';
import type { CliIO } from './io.ts';
import { forStream } from './terminal-text.ts';

export function report(
  result: RunResult,
  args: { json: boolean; quiet?: boolean },
  io: Pick<CliIO, 'stdout' | 'stderr' | 'stdoutIsTTY'> & Partial<Pick<CliIO, 'stderrIsTTY'>>,
): number {
  const answered = result.answer !== undefined;
  if (args.json) {
    const { answer, status, usage, iterations, durationMs } = result;
    const value = 'value' in result ? { value: result.value } : {};
    io.stdout.write(
      `${JSON.stringify({ answer: answer ?? null, ...value, status, usage, iterations, durationMs: Math.round(durationMs), ...(result.error ? { error: result.error } : {}) })}\n`,
    );
  } else if (answered) {
    io.stdout.write(`${forStream(result.answer!, io.stdoutIsTTY === true)}\n`);
  }
  const tty = io.stderrIsTTY === true;
  if (!answered) io.stderr.write(`rlm: no answer: ${forStream(reasonOf(result), tty)}: ${spent(result)}\n`);
  else if (result.status !== 'done' && !args.quiet)
    io.stderr.write(`rlm: answered after the run was stopped: ${forStream(reasonOf(result), tty)}: ${spent(result)}\n`);
  const estimated = (result.usage as UsageReport | undefined)?.total.estimatedCalls ?? 0;
  if (estimated > 0 && !args.quiet) {
    io.stderr.write(
      `rlm: the endpoint reported no usage for ${estimated} call${estimated === 1 ? '' : 's'}: booked at the most each could have used (its prompt's bytes and its output cap)\n`,
    );
  }
  return exitCodeForRun(result.status, answered, result.error?.code);
}

/** Why the run ended: the error's own words (the limit and its value), else its status. */
function reasonOf(result: RunResult): string {
  const message = result.error?.message.split('\n')[0]?.trim();
  if (message) return message;
  switch (result.status) {
    case 'max_iterations':
      return `no final answer after ${result.iterations} turns (--max-iterations)`;
    case 'timeout':
      return 'time limit reached';
    case 'budget':
      return 'a limit was reached';
    case 'cancelled':
      return 'cancelled';
    case 'error':
      return 'the run failed';
    case 'done':
      return 'the model gave no final answer';
  }
}

/** `spent $0.4982 (81.2k tokens) in 37 calls over 4 turns`; tokens alone when a cost is unknown. */
export function spent(result: Pick<RunResult, 'usage' | 'iterations'>): string {
  const total = (result.usage as UsageReport | undefined)?.total;
  const calls = total?.calls ?? 0;
  const tokens = (total?.inputTokens ?? 0) + (total?.outputTokens ?? 0);
  const priced = total !== undefined && calls > 0 && total.unpricedCalls === 0;
  const amount =
    calls === 0 ? 'nothing' : priced ? `$${total.costUsd.toFixed(4)} (${formatTokens(tokens)} tokens)` : `${formatTokens(tokens)} tokens`;
  return `spent ${amount} in ${calls} call${calls === 1 ? '' : 's'} over ${result.iterations} turn${result.iterations === 1 ? '' : 's'}`;
}
