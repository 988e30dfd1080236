/**
 * What a person sees of a run from the command line, shared by `rlm ask` and `rlm demo`: the
 * progress line, each turn (--verbose), the trace file, warnings above the progress line, and
 * Ctrl-C ending the run cleanly.
 */
import type { PriceTable } from '../models/prices.ts';
import type { RunResult } from '../rlm.ts';
import type { EventSink } from '../trace/events.ts';
import type { JsonlTraceOptions } from '../trace/jsonl.ts';
import type { CliIO } from './io.ts';
import { Progress } from './progress.ts';
import { forStream } from './terminal-text.ts';
import { turnLog } from './turn-log.ts';
import { routeWarnings } from './warnings.ts';

export interface Surfaces {
  quiet: boolean;
  /** Where the trace goes, if anywhere. */
  trace?: string | undefined;
  verbose?: boolean;
  /** The user's prices, to cost calls on the progress line. */
  priceTable?: PriceTable | undefined;
}

/** Runs `run` with the surfaces wired to its events and Ctrl-C to its signal. */
export async function runWithSurfaces(
  surfaces: Surfaces,
  io: CliIO,
  traced: JsonlTraceOptions,
  run: (onEvent: EventSink, signal: AbortSignal) => Promise<RunResult>,
): Promise<RunResult> {
  const sinks: EventSink[] = [];
  const progress = surfaces.quiet
    ? undefined
    : new Progress({
        stream: io.stderr,
        interactive: io.stderrIsTTY,
        columns: () => (io.stderr as { columns?: number }).columns,
        ...(surfaces.priceTable ? { prices: surfaces.priceTable } : {}),
      });
  const print = (text: string) => (progress ? progress.print(text) : io.stderr.write(`${forStream(text, io.stderrIsTTY)}\n`));
  if (surfaces.verbose) sinks.push(turnLog({ write: print }));
  if (progress) sinks.push(progress.onEvent);
  // The trace writer is loaded only for a run that writes one.
  const trace = surfaces.trace ? new (await import('../trace/jsonl.ts')).JsonlTrace(surfaces.trace, traced) : undefined;
  if (trace) sinks.push(trace.onEvent);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  const restoreWarnings = routeWarnings(print);
  try {
    return await run((event) => sinks.forEach((sink) => sink(event)), controller.signal);
  } finally {
    restoreWarnings();
    process.removeListener('SIGINT', interrupt);
    progress?.stop();
    await trace?.close();
  }
}
