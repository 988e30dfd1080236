/**
 * One run the server holds: its request, where it stands (queued, running, or how it ended), every
 * event it has emitted so far — kept in order so that a client streaming them can start over from
 * any point (`Last-Event-ID`) — and a way to cancel it. Every surface of the server (chat
 * completions, the runs API, the web page) watches a run through this one object.
 */
import { randomBytes } from 'node:crypto';
import { Budget } from '../budget.ts';
import { CancelledError, type RlmErrorCode } from '../errors.ts';
import type { Corpus } from '../inputs/corpus.ts';
import type { RLMOptions, RunResult } from '../rlm.ts';
import { RunProgress, type ProgressSnapshot } from '../run-progress.ts';
import type { RunStatus } from '../run-status.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import type { AnswerSchema } from '../schema/index.ts';
import type { RlmEvent } from '../trace/events.ts';

/** What a client asked the server to run. */
export interface RunRequest {
  query: string;
  context: ContextValue | Corpus;
  /** The RLM's options, limits already within the server's caps; `onEvent` is the server's. */
  options: Omit<RLMOptions, 'onEvent'>;
  schema?: AnswerSchema | undefined;
  /** The model name the client picked (`rlm`, `rlm/docs`), shown with the run. */
  model: string;
  /** Which surface started it. */
  origin: 'chat' | 'runs' | 'page' | 'mcp';
}

export type ServerRunState = 'queued' | 'running' | RunStatus;

/** A run as the runs API and the web page show it. */
export interface RunView {
  id: string;
  model: string;
  origin: RunRequest['origin'];
  query: string;
  state: ServerRunState;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  progress: ProgressSnapshot;
  /** The progress as one line, as the terminal shows it. */
  progressLine: string;
  /** Events emitted so far: the id of the last one. */
  events: number;
  answer?: string;
  value?: unknown;
  error?: { code: string; message: string };
  usage?: RunResult['usage'];
}

/** Receives a run's events from a point on, then its end. */
export interface RunListener {
  event(event: RlmEvent, id: number): void;
  end(result: RunResult): void;
}

/** One run of the server: where it stands, its events so far for late listeners, and its cancel. */
export class ServerRun {
  readonly id: string;
  #request: RunRequest;
  readonly createdAt: Date;
  #progress: RunProgress;
  /** Every event so far; the event at index i has id i + 1. */
  readonly events: RlmEvent[] = [];
  /** Settles when the run has ended, however it ended (never rejects). */
  readonly finished: Promise<RunResult>;
  state: ServerRunState = 'queued';
  startedAt: Date | undefined;
  endedAt: Date | undefined;
  result: RunResult | undefined;
  readonly #abort = new AbortController();
  readonly #listeners = new Set<RunListener>();
  #settle!: (result: RunResult) => void;

  /** `id` and `createdAt`: those of a run made elsewhere (another server's, through a shared queue) that this one follows. */
  constructor(request: RunRequest, made?: { id: string; createdAt: Date }) {
    this.#request = request;
    this.id = made?.id ?? `run_${randomBytes(9).toString('base64url')}`;
    this.createdAt = made?.createdAt ?? new Date();
    this.#progress = new RunProgress(request.options.prices);
    this.finished = new Promise((resolve) => (this.#settle = resolve));
  }

  /** Aborted when the run is cancelled: the RLM stops, and every call in flight with it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Stops the run; a queued run ends at once, a running one as soon as its calls are aborted. */
  cancel(reason = 'cancelled'): void {
    if (this.result) return;
    this.#abort.abort(new CancelledError(reason));
    if (this.state === 'queued') this.end(resultWithoutRun('cancelled', 'RLM_CANCELLED', reason));
  }

  /**
   * Listens from the event after `afterId` (0: from the first): what has been emitted is handed
   * over at once, the rest as it comes, then the end. Returns the way to stop listening.
   */
  listen(listener: RunListener, afterId = 0): () => void {
    for (let i = Math.max(0, afterId); i < this.events.length; i++) listener.event(this.events[i]!, i + 1);
    if (this.result) {
      listener.end(this.result);
      return () => {};
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** What the client asked; its context is let go of once the run no longer needs it (see {@link forgetContext}). */
  get request(): RunRequest {
    return this.#request;
  }

  /**
   * Lets go of the run's context, which can be tens of MB: once the run has ended here, or once a
   * queue holds it for the workers, the server keeps only what it shows (question, model, events).
   */
  forgetContext(): void {
    this.#request = { ...this.#request, context: '' };
  }

  /** How many listen to the run now (streams, pages, a chat client). */
  get listeners(): number {
    return this.#listeners.size;
  }

  /** Where the run stands: turns, calls, tokens, spend. */
  get progress(): RunProgress {
    return this.#progress;
  }

  /** Called by the manager: the run has been given a slot. */
  markStarted(at = new Date()): void {
    this.state = 'running';
    this.startedAt ??= at;
  }

  /**
   * Called by the manager when another attempt takes the run up (its worker died): the attempt
   * goes through every earlier reply again, answered from the trace, so progress is counted anew
   * from its events and comes to the same totals.
   */
  attemptStarted(): void {
    this.#progress = new RunProgress(this.request.options.prices);
  }

  /** Called by the manager for each event of the run. */
  push(event: RlmEvent): void {
    this.events.push(event);
    this.progress.onEvent(event);
    const id = this.events.length;
    for (const listener of this.#listeners) this.#tell(listener, () => listener.event(event, id));
  }

  /** Called by the manager when the run has ended (`at`: when, for a run that ended elsewhere). */
  end(result: RunResult, at = new Date()): void {
    if (this.result) return;
    this.result = result;
    this.state = result.status;
    this.endedAt = at;
    for (const listener of this.#listeners) this.#tell(listener, () => listener.end(result));
    this.#listeners.clear();
    this.#settle(result);
  }

  /** A listener that throws (a client gone mid-write) is dropped; the run and its other listeners go on. */
  #tell(listener: RunListener, call: () => void): void {
    try {
      call();
    } catch {
      this.#listeners.delete(listener);
    }
  }

  view(): RunView {
    const result = this.result;
    return {
      id: this.id,
      model: this.request.model,
      origin: this.request.origin,
      query: this.request.query,
      state: this.state,
      createdAt: this.createdAt.toISOString(),
      ...(this.startedAt ? { startedAt: this.startedAt.toISOString() } : {}),
      ...(this.endedAt ? { endedAt: this.endedAt.toISOString() } : {}),
      progress: this.progress.snapshot(),
      progressLine: this.progress.line(),
      events: this.events.length,
      ...(result?.answer !== undefined ? { answer: result.answer } : {}),
      ...(result?.value !== undefined ? { value: result.value } : {}),
      ...(result?.error ? { error: result.error } : {}),
      ...(result ? { usage: result.usage } : {}),
    };
  }
}

/** The result of a run that never ran (cancelled while queued, or refused by the RLM): nothing spent, no answer. */
export function resultWithoutRun(status: RunStatus, code: RlmErrorCode, message: string): RunResult {
  return { answer: undefined, status, usage: new Budget().usage(), iterations: 0, durationMs: 0, error: { code, message } };
}
