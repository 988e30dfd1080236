/**
 * A cell's time limit, the same for both engines: the cell is raced against its limit and its
 * caller's signal; if either comes first, the cell's host calls are aborted, the engine stops the
 * cell its own way (keeping what output it can, rebuilding itself if it must), and the model is
 * told in the same words whichever the language. A cancelled cell ends in CancelledError.
 *
 * What differs stays with each engine: how a cell is stopped (the isolate is abandoned or thrown
 * away; Python is interrupted, and its worker replaced if it does not stop), and what it was doing.
 */
import { CancelledError } from '../../errors.ts';
import type { HostCalls } from '../shared/host-calls.ts';

/** Why a cell was stopped before it ended. */
export type CellStop = 'timeout' | 'cancelled';

export interface CellDeadlineOptions {
  timeoutMs: number;
  /**
   * Waited beyond `timeoutMs` before stopping the cell here: an engine whose own limit on
   * synchronous code stops a cell more gently (keeping its variables) lets that fire first.
   */
  graceMs?: number;
  signal?: AbortSignal | undefined;
  /** The calls the cell made: aborted, and refused from then on, once it is stopped. */
  calls: HostCalls;
}

/** What the engine is told when it must stop a cell. */
export interface StopRequest {
  why: CellStop;
  /** Host calls the cell was still waiting on when it was stopped. */
  openCalls: number;
}

/**
 * Runs `cell` against its deadline: its outcome if it settles first, else what `stop` made of
 * the stopped cell. Throws CancelledError when the signal stopped it.
 */
export async function raceDeadline<T, S>(
  cell: Promise<T>,
  options: CellDeadlineOptions,
  stop: (request: StopRequest) => Promise<S>,
): Promise<{ done: T } | { stopped: S }> {
  const { timeoutMs, graceMs = 0, signal, calls } = options;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const reached = new Promise<CellStop>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs + graceMs);
    onAbort = () => resolve('cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  let first: { done: T } | CellStop;
  try {
    first = await Promise.race([cell.then((done) => ({ done })), reached]);
  } finally {
    clearTimeout(timer);
    // One signal serves many cells: listeners left on it piled up.
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
  if (typeof first === 'object') return first;
  // The cell's calls end now: their answers, rejections included, would only reach a cell that
  // is being stopped, where they made a second, confusing error.
  const openCalls = calls.endCell(() => (first === 'cancelled' ? new CancelledError() : new Error('the cell timed out')));
  const stopped = await stop({ why: first, openCalls });
  if (first === 'cancelled') throw new CancelledError();
  return { stopped };
}

/** A stopped cell's error, worded alike in both languages: "the cell was still computing after 300 ms and was stopped". */
export function cellTimedOut(doing: string, timeoutMs: number, then = 'and was stopped'): string {
  return `TimeoutError: the cell was still ${doing} after ${timeoutMs} ms ${then}`;
}
