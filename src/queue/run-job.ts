/**
 * One run, taken from the queue by a worker: claimed, run — or, when an earlier attempt left
 * events in its log (its worker died, or handed it back), resumed from them, so that every reply
 * that attempt paid for is answered from the log and the run goes on live from the first request
 * it has no reply for — and its result written once. Its events go to the log as they happen,
 * each write refused if the run was taken over meanwhile, which stops it here.
 */
import { CancelledError, RlmError } from '../errors.ts';
import type { Corpus } from '../inputs/corpus.ts';
import { RLM, type RLMOptions, type RunResult } from '../rlm.ts';
import { recordedStart } from '../trace/read-trace.ts';
import { resultWithoutRun } from '../server/server-run.ts';
import { LogWriter, type WriterStop } from './log-writer.ts';
import { traceOfLog } from './log-trace.ts';
import type { RunRecords } from './run-records.ts';
import { readStoredRun, type StoredRun } from './stored-run.ts';

/** Why a worker let go of a run without ending it: its owner is, or will be, another worker. */
export class HandBack extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'HandBack';
  }
}

/** What a worker gives a run: its own models, caps and files, and the signal that stops it. */
export interface RunJobContext {
  records: RunRecords;
  /** This worker's id, for the owner token, and how it is shown (`host:pid`). */
  workerId: string;
  label: string;
  /**
   * The RLM's options for `run` under this worker's endpoint, prices and caps; `models` are the
   * ones an earlier attempt recorded, which a resume must use.
   */
  optionsFor(run: StoredRun, models: { root?: string; sub?: string }): Omit<RLMOptions, 'onEvent'>;
  /** The run's corpus, read from this worker's folders and checked against its recorded hash. */
  corpusOf(run: StoredRun): Promise<Corpus>;
  /** Aborted with a {@link HandBack} when the worker drains or loses the run; with a CancelledError on a cancel. */
  signal: AbortSignal;
}

/** How a job ended here: with the run's result (written to its record), or let go for another worker. */
export type RunJobOutcome = { result: RunResult } | { letGo: string };

export async function runJob(id: string, ctx: RunJobContext): Promise<RunJobOutcome> {
  const record = await ctx.records.record(id);
  // A run whose record has expired, or that ended while its job waited: nothing to do.
  if (!record) return { result: resultWithoutRun('error', 'RLM_INPUT', `the queue has no record of ${id}`) };
  const claim = await ctx.records.claim(id, ctx.workerId, ctx.label);
  if ('missing' in claim) return { result: resultWithoutRun('error', 'RLM_INPUT', `the queue has no record of ${id}`) };
  if ('ended' in claim) return { result: endedResult(record.result) };
  const { owner } = claim;
  const finish = async (result: RunResult): Promise<RunJobOutcome> => {
    // Refused: another worker owns the run now, or its record is gone from Redis; either way this result is not its.
    if (!(await ctx.records.finish(id, owner, result))) return { letGo: 'its record was taken over or is gone' };
    return { result };
  };
  if (claim.cancel !== undefined) return finish(resultWithoutRun('cancelled', 'RLM_CANCELLED', claim.cancel));

  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let letGo: string | undefined;
  const onStop = (why: WriterStop) => {
    if ('cancelled' in why) return stop.abort(new CancelledError(why.cancelled));
    letGo = 'lost' in why ? 'another worker took the run over' : 'Redis could not be reached to record the run';
    stop.abort(new HandBack(letGo));
  };
  const writer = new LogWriter(ctx.records, id, owner, onStop);
  try {
    const run = readStoredRun(record.request, id);
    const entries = await ctx.records.readAll(id);
    const resuming = entries.some((entry) => entry.k === 'event');
    const trace = resuming ? traceOfLog(run, Number(record.createdAt), entries) : undefined;
    const recorded = trace ? recordedStart(trace).settings.models : undefined;
    const models = recorded ? { root: recorded[0]!, sub: recorded[1] ?? recorded[0]! } : run.models;
    if (!('corpus' in run.context) && !('inline' in run.context))
      throw new RlmError('RLM_INPUT', `the queue's record of ${id} names a context file`);
    const context = 'corpus' in run.context ? await ctx.corpusOf(run) : run.context.inline;
    const rlm = new RLM({ ...ctx.optionsFor(run, models), onEvent: writer.onEvent });
    const result = trace
      ? await rlm.resume(trace, { signal, context, ...(run.schema ? { schema: run.schema } : {}) })
      : await rlm.run({ context, query: run.query, signal, ...(run.schema ? { schema: run.schema } : {}) });
    await writer.flushed();
    const handBack = signal.reason instanceof HandBack ? signal.reason.message : letGo;
    if (result.status === 'cancelled' && handBack !== undefined) return { letGo: handBack };
    return await finish(result);
  } catch (error) {
    await writer.flushed();
    if (letGo !== undefined) return { letGo };
    if (signal.reason instanceof HandBack) return { letGo: signal.reason.message };
    // A setting or a corpus refused here ends the run with that error; anything else is the worker's fault, also said.
    if (RlmError.isInstance(error)) return finish(resultWithoutRun('error', error.code, error.message));
    return finish(
      resultWithoutRun('error', 'RLM_USAGE', `the worker failed the run: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
}

/** The result a run that had already ended recorded (a job delivered again after its end). */
function endedResult(json: string | undefined): RunResult {
  try {
    const result = JSON.parse(json ?? '') as RunResult | null;
    if (typeof result === 'object' && result !== null && typeof result.status === 'string') return result;
  } catch {
    // a damaged result: the run ended all the same
  }
  return resultWithoutRun('error', 'RLM_INPUT', 'the run had already ended; its recorded result is damaged');
}
