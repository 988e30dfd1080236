/**
 * A trace turned into the tree the viewer shows: runs (root and children), their turns, the
 * cells of each turn, and the sub-calls, tool calls and child runs each cell started, with
 * tokens, cost and time on every node and summed up the tree.
 */
import type { Message } from '../models/model.ts';
import type { RlmEvent } from './events.ts';
import type { Trace } from './replay.ts';

export interface Totals {
  calls: number;
  tokens: number;
  costUsd: number;
  /** Calls whose cost could not be known (no price for their model). */
  unpriced: number;
  /** Time spent in model calls, summed (overlapping calls count each). */
  callMs: number;
}

export interface CallView {
  callId: number;
  runId?: string;
  depth: number;
  kind: 'root' | 'sub';
  model: string;
  /** ms since the trace began. */
  t: number;
  durationMs: number;
  messages: Message[];
  text?: string;
  tokens: number;
  /** Undefined when the model had no known price. */
  costUsd: number | undefined;
  error?: string;
  /** Started and not ended: in flight in a live run, or cut off in a trace whose process stopped. */
  unfinished?: true;
}

/** A call of one of the user's tools from a cell, with what it returned or threw. */
export interface ToolCallView {
  name: string;
  args: unknown[];
  result?: unknown;
  error?: string;
  durationMs: number;
}

export interface CellView {
  index: number;
  code: string;
  output: string;
  error?: string;
  restarted: boolean;
  durationMs: number;
  calls: number[];
  children: string[];
  tools: ToolCallView[];
  totals: Totals;
}

export interface TurnView {
  iteration: number;
  call?: number;
  reply: string;
  cells: CellView[];
  totals: Totals;
}

export interface RunView {
  runId: string;
  parentRunId?: string;
  depth: number;
  query: string;
  model: string;
  status?: string;
  answer?: string;
  t: number;
  durationMs?: number;
  turns: TurnView[];
  /** Calls of this run outside any turn or cell (a compaction's summary, the last answer after a limit, a baseline's calls). */
  otherCalls: number[];
  totals: Totals;
}

export interface ViewModel {
  summary: {
    query: string;
    status?: string;
    answer?: string;
    iterations?: number;
    durationMs?: number;
    contextChars: number;
    totals: Totals;
    limit?: string;
  };
  runs: Record<string, RunView>;
  calls: Record<number, CallView>;
  rootRunId?: string;
}

const zero = (): Totals => ({ calls: 0, tokens: 0, costUsd: 0, unpriced: 0, callMs: 0 });

function add(into: Totals, from: Totals): void {
  into.calls += from.calls;
  into.tokens += from.tokens;
  into.costUsd += from.costUsd;
  into.unpriced += from.unpriced;
  into.callMs += from.callMs;
}

export function buildViewModel(trace: Pick<Trace, 'events'>): ViewModel {
  const runs: Record<string, RunView> = {};
  const calls: Record<number, CallView> = {};
  const openCell = new Map<string, CellView>();
  const callOwner = new Map<number, { run: RunView; cell?: CellView }>();
  const summary: ViewModel['summary'] = { query: '', contextChars: 0, totals: zero() };
  let rootRunId: string | undefined;

  for (const event of trace.events as Array<RlmEvent & { t: number }>) {
    switch (event.type) {
      case 'run-start': {
        const run: RunView = {
          runId: event.runId,
          depth: event.depth,
          query: event.query,
          model: event.model,
          t: event.t,
          turns: [],
          otherCalls: [],
          totals: zero(),
        };
        if (event.parentRunId) {
          run.parentRunId = event.parentRunId;
          openCell.get(event.parentRunId)?.children.push(event.runId);
        } else {
          rootRunId = event.runId;
          summary.query = event.query;
          summary.contextChars = event.contextChars;
        }
        runs[event.runId] = run;
        break;
      }
      case 'turn-start':
        runs[event.runId]?.turns.push({ iteration: event.iteration, reply: '', cells: [], totals: zero() });
        break;
      case 'cell-start': {
        const turn = runs[event.runId]?.turns.at(-1);
        const cell: CellView = {
          index: event.index,
          code: event.code,
          output: '',
          restarted: false,
          durationMs: 0,
          calls: [],
          children: [],
          tools: [],
          totals: zero(),
        };
        turn?.cells.push(cell);
        openCell.set(event.runId, cell);
        break;
      }
      case 'cell-end': {
        const cell = openCell.get(event.runId);
        if (cell) {
          cell.output = event.output;
          cell.restarted = event.restarted;
          cell.durationMs = event.durationMs;
          if (event.error) cell.error = event.error;
        }
        openCell.delete(event.runId);
        break;
      }
      case 'tool-call':
        openCell.get(event.runId)?.tools.push({
          name: event.name,
          args: event.args,
          ...(event.result === undefined ? {} : { result: event.result }),
          ...(event.error === undefined ? {} : { error: event.error }),
          durationMs: event.durationMs,
        });
        break;
      case 'model-call-start': {
        calls[event.callId] = {
          callId: event.callId,
          ...(event.runId ? { runId: event.runId } : {}),
          depth: event.depth,
          kind: event.kind,
          model: event.model,
          t: event.t,
          durationMs: 0,
          messages: event.messages ?? [],
          tokens: 0,
          costUsd: undefined,
          unfinished: true,
        };
        const run = event.runId ? runs[event.runId] : undefined;
        if (!run) break;
        const cell = event.kind === 'sub' ? openCell.get(run.runId) : undefined;
        if (cell) {
          cell.calls.push(event.callId);
          callOwner.set(event.callId, { run, cell });
        } else if (event.kind === 'sub') {
          // Outside any cell: a baseline's note-taking calls (rlm bench's summary method).
          run.otherCalls.push(event.callId);
          callOwner.set(event.callId, { run });
        } else {
          const turn = run.turns.at(-1);
          if (turn && turn.call === undefined) turn.call = event.callId;
          else run.otherCalls.push(event.callId);
          callOwner.set(event.callId, { run });
        }
        break;
      }
      case 'model-call-end': {
        const call = calls[event.callId];
        if (!call) break;
        delete call.unfinished;
        call.durationMs = event.durationMs;
        if (event.text !== undefined) call.text = event.text;
        if (event.error) call.error = event.error;
        call.tokens = (event.usage?.inputTokens ?? 0) + (event.usage?.outputTokens ?? 0);
        call.costUsd = event.usage?.costUsd;
        const owner = callOwner.get(event.callId);
        const turn = owner?.run.turns.find((t) => t.call === event.callId);
        if (turn && event.text !== undefined) turn.reply = event.text;
        break;
      }
      case 'limit':
        summary.limit = event.reason;
        break;
      case 'run-end': {
        const run = runs[event.runId];
        if (run) {
          run.status = event.status;
          if (event.answer !== undefined) run.answer = event.answer;
          run.durationMs = event.durationMs;
        }
        if (event.runId === rootRunId) {
          summary.status = event.status;
          if (event.answer !== undefined) summary.answer = event.answer;
          summary.iterations = event.iterations;
          summary.durationMs = event.durationMs;
        }
        break;
      }
    }
  }

  // Totals, bottom up: a cell's are its sub-calls' and its children's; a turn's, its own call's
  // and its cells'; a run's, its turns' and its other calls'.
  const callTotals = (id: number): Totals => {
    const c = calls[id];
    return c
      ? { calls: 1, tokens: c.tokens, costUsd: c.costUsd ?? 0, unpriced: c.costUsd === undefined ? 1 : 0, callMs: c.durationMs }
      : zero();
  };
  const runTotals = (run: RunView): Totals => {
    for (const turn of run.turns) {
      if (turn.call !== undefined) add(turn.totals, callTotals(turn.call));
      for (const cell of turn.cells) {
        for (const id of cell.calls) add(cell.totals, callTotals(id));
        for (const child of cell.children) {
          const childRun = runs[child];
          if (childRun) add(cell.totals, runTotals(childRun));
        }
        add(turn.totals, cell.totals);
      }
      add(run.totals, turn.totals);
    }
    for (const id of run.otherCalls) add(run.totals, callTotals(id));
    return run.totals;
  };
  const root = rootRunId ? runs[rootRunId] : undefined;
  if (root) summary.totals = { ...runTotals(root) };
  return { summary, runs, calls, ...(rootRunId ? { rootRunId } : {}) };
}
