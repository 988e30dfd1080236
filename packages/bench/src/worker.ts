/**
 * The worker's side of a distributed bench: `rlm worker` hands each job named `bench` to
 * {@link runBenchJob}, with models made on the worker's own endpoint and key. The job names the
 * models by id and carries everything else the run needs (see distributed/bench-job.ts).
 */
import type { Model, PriceTable } from 'rlm';
import { runMethod, type MethodOutcome } from './benchmark/methods.ts';
import { parseBenchJob } from './distributed/bench-job.ts';

/** What a worker lends a job: its models by id, its prices, and the signal that withdraws the job. */
export interface BenchJobContext {
  createModel(id: string): Model;
  prices: PriceTable | undefined;
  signal: AbortSignal;
}

/**
 * Runs one bench job: one instance through one method. Resolves with the run's outcome as JSON
 * (a run's own failure is in its status, as with a local run); a malformed job is one RLM_USAGE
 * error, before any model is called.
 */
export async function runBenchJob(data: unknown, ctx: BenchJobContext): Promise<MethodOutcome> {
  const { method, task, setup } = parseBenchJob(data);
  // The bench's cost limit was set against the submitting side's prices: they come first.
  const prices = ctx.prices || setup.prices ? { ...ctx.prices, ...setup.prices } : undefined;
  return runMethod(method, task, {
    model: ctx.createModel(setup.model),
    subModel: ctx.createModel(setup.subModel),
    repl: setup.repl,
    ...(setup.windowTokens === undefined ? {} : { windowTokens: setup.windowTokens }),
    ...(setup.retrieval ? { retrieval: setup.retrieval } : {}),
    ...(setup.limits ? { limits: setup.limits } : {}),
    ...(prices ? { prices } : {}),
    signal: ctx.signal,
  });
}
