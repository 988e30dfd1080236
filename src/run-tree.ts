/**
 * What every level of one run shares: the Budget, the limiter, the events, and one stop signal.
 * A child RLM gets the same tree, so one number bounds what the whole tree spends, and a limit
 * reached anywhere stops every level at once.
 */
import { Budget } from './budget.ts';
import { BudgetExceededError, CancelledError, RlmError } from './errors.ts';
import { composeModel } from './models/compose.ts';
import { Limiter } from './models/limiter.ts';
import type { GenerateRequest, Model } from './models/model.ts';
import type { Usage } from './models/usage.ts';
import { RequestSizer, reservedCost } from './models/reservation.ts';
import { DEFAULT_PRICES, findPrice } from './models/prices.ts';
import { configModelAt, recordedSettings, type RunConfig } from './config.ts';
import type { CallKind, EventSink, RlmEvent, RunSettings } from './trace/events.ts';
import { answeredFirst, type RecordedReplies } from './trace/recorded-replies.ts';

/** How long calls in flight may take to finish after a limit was reached. */
const DRAIN_TIMEOUT_MS = 60_000;
/** The share of a time limit kept for the last request for an answer, and its most. */
const LAST_ANSWER_TIME_SHARE = 0.1;
const LAST_ANSWER_TIME_MAX_MS = 30_000;
/** How long stopped children may take to end (a REPL still starting, a request aborting). */
const CHILDREN_END_TIMEOUT_MS = 10_000;

export class RunTree {
  readonly config: RunConfig;
  readonly budget: Budget;
  readonly limiter: Limiter;
  readonly emit: EventSink;
  /** What the trace records of the config, for a replay. */
  readonly settings: RunSettings;
  readonly #stop = new AbortController();
  /** Bounds each request's input for the limits' reserves, shared by every level. */
  readonly sizer = new RequestSizer();
  readonly #models = new Map<string, Model>();
  readonly #childSlots = new Map<number, Limiter>();
  /** Child RLMs not yet ended, cells that gave up on them included. */
  readonly #children = new Set<Promise<unknown>>();
  readonly #deadline: NodeJS.Timeout | undefined;
  readonly #userSignal: AbortSignal | undefined;
  /** A caller who aborts with a CancelledError of its own ("the server is shutting down") has its reason kept. */
  readonly #onUserAbort = () => {
    const reason: unknown = this.#userSignal?.reason;
    this.stop(CancelledError.isInstance(reason) ? reason : new CancelledError());
  };
  #callIds = 0;
  readonly #runIds: { next: number };
  #toolCalls = 0;
  #stopReason: RlmError | undefined;

  /** Replies paid for by earlier attempts of a resumed run, taken before any provider is asked. */
  readonly #recorded: RecordedReplies | undefined;

  /**
   * `alsoTo` receives every event too, after the config's `onEvent` (for `RLM.start`). `resumed`:
   * what earlier attempts of the run recorded and how long they took, counted against the limits.
   * `runIds`: the count run ids are taken from, shared by a session's questions so that no two
   * RLMs of its trace have the same id.
   */
  constructor(
    config: RunConfig,
    userSignal: AbortSignal | undefined,
    alsoTo?: EventSink,
    resumed?: { replies: RecordedReplies; elapsedMs: number; lostCalls?: number },
    runIds: { next: number } = { next: 0 },
  ) {
    this.#runIds = runIds;
    this.config = config;
    this.settings = recordedSettings(config);
    this.#recorded = resumed?.replies;
    this.budget = new Budget(config.limits, resumed?.elapsedMs ?? 0, resumed?.lostCalls ?? 0);
    this.limiter = new Limiter(config.concurrency);
    this.emit = (event: RlmEvent) => {
      config.onEvent?.(event);
      alsoTo?.(event);
    };
    this.#userSignal = userSignal;
    if (userSignal?.aborted) this.#onUserAbort();
    userSignal?.addEventListener('abort', this.#onUserAbort, { once: true });
    const { timeoutMs } = config.limits;
    if (timeoutMs !== undefined) {
      // The end of the time limit is kept for the last request for an answer.
      const work = timeoutMs - Math.min(timeoutMs * LAST_ANSWER_TIME_SHARE, LAST_ANSWER_TIME_MAX_MS);
      const left = Math.max(0, work - this.budget.elapsedMs());
      this.#deadline = setTimeout(() => this.stop(new BudgetExceededError('time', timeoutMs, Math.round(this.budget.elapsedMs()))), left);
    }
  }

  /** What is left of the time limit, if there is one. */
  timeLeftMs(): number | undefined {
    const { timeoutMs } = this.config.limits;
    return timeoutMs === undefined ? undefined : timeoutMs - this.budget.elapsedMs();
  }

  /**
   * Holds back, out of the limits, what the root's last request for an answer would use if a
   * limit stopped the run now: one call, and its input and output bounds.
   */
  holdForLastAnswer(request: GenerateRequest): void {
    const { limits } = this.budget;
    if (limits.maxCalls === undefined && !this.budget.reserves) return;
    const model = this.baseModelAt(0);
    const price = findPrice(model.id, { ...DEFAULT_PRICES, ...this.config.prices });
    const input = this.sizer.inputBound(request, request.trace ? `${request.trace.runId}:root` : undefined);
    const output = request.maxOutputTokens ?? 0;
    this.budget.hold({ tokens: input + output, costUsd: reservedCost(input, output, price) });
  }

  /** Aborts when the whole run must stop: cancelled by the user, or a limit reached. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  /** The order in which model code called the user's tools, over the whole tree. */
  nextToolCall(): number {
    return ++this.#toolCalls;
  }

  /** A new id for an RLM of the tree: 'r0' is the root. */
  nextRunId(): string {
    return `r${this.#runIds.next++}`;
  }

  /** Why the run was stopped, if it was: the first reason given. */
  get stopReason(): RlmError | undefined {
    return this.#stopReason;
  }

  /**
   * Stops every level. A cancel or the time limit aborts everything at once. A call, token or
   * cost limit refuses every new call at once, lets the calls in flight finish (so what they
   * cost is known and booked: the limit is passed by at most those), then aborts the rest.
   */
  stop(reason: RlmError): void {
    if (this.#stopReason === undefined && BudgetExceededError.isInstance(reason)) {
      this.emit({ type: 'limit', limit: reason.limit, reason: reason.message });
    }
    this.#stopReason ??= reason;
    if (BudgetExceededError.isInstance(reason) && reason.limit !== 'time') {
      this.budget.close(reason);
      void this.budget.drained(DRAIN_TIMEOUT_MS).then(() => this.#abort(reason));
    } else {
      this.#abort(reason);
    }
  }

  #abort(reason: RlmError): void {
    if (!this.#stop.signal.aborted) this.#stop.abort(reason);
  }

  /**
   * Runs a child RLM at `depth` once one of that depth's slots is free. Each child holds a REPL
   * process for its lifetime, so a fan-out of children is bounded; by depth, so that children
   * waiting on their own children can never hold every slot.
   */
  child<T>(depth: number, start: () => Promise<T>, signal: AbortSignal): Promise<T> {
    let slots = this.#childSlots.get(depth);
    if (!slots) this.#childSlots.set(depth, (slots = new Limiter(this.config.maxConcurrentChildren)));
    const running = slots.run(start, signal);
    const ended: Promise<void> = running.then(
      () => void this.#children.delete(ended),
      () => void this.#children.delete(ended),
    );
    this.#children.add(ended);
    return running;
  }

  /**
   * Stops the children still running once the root has its answer (those of cells that timed
   * out) and waits, within a bound, for them to end, so that every child's run-end comes before
   * the root's and what they spent is in the run's usage.
   */
  async endChildren(): Promise<void> {
    if (this.#children.size === 0) return;
    this.#abort(new CancelledError('run finished'));
    const deadline = AbortSignal.timeout(CHILDREN_END_TIMEOUT_MS);
    // A child may start its own children while it ends: wait until none is left.
    while (this.#children.size > 0 && !deadline.aborted) {
      const timedOut = new Promise<void>((resolve) => deadline.addEventListener('abort', () => resolve(), { once: true }));
      await Promise.race([Promise.allSettled([...this.#children]), timedOut]);
    }
  }

  /** The user's own signal: still open after a limit stopped the tree, for the last request. */
  get userSignal(): AbortSignal | undefined {
    return this.#userSignal;
  }

  /**
   * The model used at a depth: depth 0 is the root; deeper levels (child RLMs and plain
   * sub-calls alike) use the model named for that depth, else the sub-model, else the root's.
   */
  modelAt(depth: number, kind: CallKind, reserve = false): Model {
    const key = `${depth}:${kind}:${reserve}`;
    let model = this.#models.get(key);
    if (!model) {
      model = this.#prepare(this.baseModelAt(depth), depth, kind, reserve);
      this.#models.set(key, model);
    }
    return model;
  }

  /** The model at `depth` as configured, before any layer; in a resumed run, answering first from the replies recorded. */
  baseModelAt(depth: number): Model {
    const model = configModelAt(this.config, depth);
    return this.#recorded ? answeredFirst(model, this.#recorded) : model;
  }

  #prepare(base: Model, depth: number, kind: CallKind, reserve: boolean): Model {
    const { config } = this;
    return composeModel(base, {
      events: { emit: this.emit, depth, kind, nextId: () => ++this.#callIds, queued: () => this.limiter.queued },
      meter: {
        budget: this.budget,
        depth,
        prices: config.prices,
        final: reserve,
        sizer: this.sizer,
        kind,
        // A limit reached by any call stops the whole tree, not just that call.
        onExceeded: (error) => this.stop(error),
      },
      limiter: this.limiter,
      ...(config.retry ? { retry: config.retry } : {}),
      onRefused: (error) => this.stop(error),
      // Only sub-calls are memoized: the root's turns depend on what the REPL printed.
      ...(config.memo && kind === 'sub'
        ? { memo: { ...config.memo, onHit: (_model: string, saved: { usage: Usage }) => this.budget.memoHit(saved.usage) } }
        : {}),
    });
  }

  close(): void {
    clearTimeout(this.#deadline);
    this.#userSignal?.removeEventListener('abort', this.#onUserAbort);
    this.#abort(new CancelledError('run finished'));
  }
}
