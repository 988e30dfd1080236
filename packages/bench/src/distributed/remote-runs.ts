/**
 * Runs a bench's instances on `rlm worker` processes: each instance × method is a job on the
 * shared queue, and its outcome comes back to the bench, which scores it and writes the row as
 * a local run would. Ctrl-C withdraws the jobs in flight.
 */
import { RlmError, type Model } from 'rlm';
import type { MethodName, MethodOutcome, MethodSetup } from '../benchmark/methods.ts';
import type { TaskInstance } from '../tasks/task.ts';
import { benchJob } from './bench-job.ts';
import { outcomeWithout, parseOutcome } from './bench-outcome.ts';

/** The queue the jobs go through (rlm's RemoteJobs). */
export interface BenchJobQueue {
  run<T>(kind: 'bench', data: unknown, options?: { signal?: AbortSignal }): Promise<T>;
}

/** Where a bench runs one instance through one method: here, or on a worker. */
export type ExecuteRun = (method: MethodName, task: TaskInstance, setup: MethodSetup) => Promise<MethodOutcome>;

/**
 * Each run as a job on `queue`. Like a local run it never throws for the run's own failure: a
 * job withdrawn is `cancelled`, a job that failed on the worker is `error` with its code (a
 * code that every run would meet stops the bench, as for a local run).
 */
export function remoteRuns(queue: BenchJobQueue): ExecuteRun {
  return async (method, task, setup) => {
    const { signal } = setup;
    try {
      const answer = await queue.run<unknown>('bench', benchJob(method, task, setup), signal ? { signal } : {});
      return parseOutcome(answer);
    } catch (error) {
      if (signal?.aborted) return outcomeWithout('cancelled');
      return outcomeWithout('error', error);
    }
  };
}

/**
 * A model the bench knows only by id: with a queue, the workers make the real one on their
 * endpoint with their key. Called here, it says so rather than calling anything.
 */
export function workerModel(id: string): Model {
  return {
    id,
    url: 'the bench workers',
    generate: () => Promise.reject(new RlmError('RLM_USAGE', `${id} runs on the bench's workers, not here`)),
    withId: workerModel,
  };
}
