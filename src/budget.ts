/**
 * One ledger for a whole run: every model call books its usage here, per model and per depth,
 * and every call is checked against the limits before it starts.
 */
import { BudgetExceededError } from './errors.ts';
import { addUsage, emptyTotals, type Usage, type UsageTotals } from './models/usage.ts';

/** Limits on a whole run, every level of its tree included; none is ever passed, whatever is in flight. */
export interface BudgetLimits {
  /** Most model calls in the whole run, root and sub-calls together. */
  maxCalls?: number | undefined;
  /** Most input plus output tokens. */
  maxTokens?: number | undefined;
  /** Most spend in USD. Needs every model used to have a known price. */
  maxCostUsd?: number | undefined;
  /** Wall time for the whole run in ms. */
  timeoutMs?: number | undefined;
}

/** What a run spent: in all, per model and per depth of the tree. */
export interface UsageReport {
  total: UsageTotals;
  byModel: Record<string, UsageTotals>;
  /** Calls booked at each depth: the root's own at 0, its sub-calls and children at 1... */
  byDepth: Record<string, UsageTotals>;
  /** Turns taken by the RLMs at each depth, all of that depth's children together. */
  iterationsByDepth: Record<string, number>;
  /** Calls answered from the memo (`--cache`), and what they would have cost. */
  memo: { hits: number; savedInputTokens: number; savedOutputTokens: number; savedCostUsd: number };
}

/** What is spent and what is left, as model code reads it from `budget()`. */
export interface BudgetSnapshot {
  spent: UsageTotals & { elapsedMs: number };
  byDepth: UsageReport['byDepth'];
  iterationsByDepth: UsageReport['iterationsByDepth'];
  limits: BudgetLimits;
  /** What is left of each limit that is set, less what calls in flight and the last request may still use. */
  left: { calls?: number; tokens?: number; costUsd?: number; timeMs?: number };
  inFlight: number;
  failedCalls: number;
}

/** What one call may use at most, set aside before it is sent and settled to its usage after. */
export interface Reservation {
  tokens: number;
  costUsd: number;
}

/** What is left of the token and cost limits once the spent, the reserved and the held are taken off. */
export interface Headroom {
  tokens: number;
  costUsd: number;
}

/**
 * The ledger of a run. Limits on tokens and cost hold whatever is in flight: each call reserves
 * the most it can use before it is sent (its input bound plus its output cap), a call whose
 * reserve does not fit is refused, and each settles to its real usage when it ends. Part of the
 * headroom can be held back for one last request (the root's final answer after a limit).
 */
export class Budget {
  readonly limits: BudgetLimits;
  /** When the run started; a resumed run started when its first attempt did. */
  readonly startedAt: number;
  readonly #total = emptyTotals();
  readonly #byModel = new Map<string, UsageTotals>();
  readonly #byDepth = new Map<number, UsageTotals>();
  readonly #turns = new Map<number, number>();
  readonly #memo = { hits: 0, savedInputTokens: 0, savedOutputTokens: 0, savedCostUsd: 0 };
  readonly #reserved: Reservation = { tokens: 0, costUsd: 0 };
  #held: Reservation & { calls: number } = { tokens: 0, costUsd: 0, calls: 0 };
  #started = 0;
  #inFlight = 0;
  #failed = 0;
  #closed: BudgetExceededError | undefined;
  readonly #drainWaiters: Array<() => void> = [];
  readonly #settleWaiters = new Set<() => void>();

  /**
   * `elapsedBeforeMs`: the time earlier attempts of a resumed run already took, counted against the
   * time limit. `lostCallsBefore`: calls those attempts sent and never saw answered (in flight when
   * their process died): the provider may have answered and charged them, so they count against
   * the call limit.
   */
  constructor(limits: BudgetLimits = {}, elapsedBeforeMs = 0, lostCallsBefore = 0) {
    this.limits = limits;
    this.startedAt = Date.now() - elapsedBeforeMs;
    this.#started = lostCallsBefore;
  }

  /** True when a call must reserve tokens and cost before it is sent. */
  get reserves(): boolean {
    return this.limits.maxTokens !== undefined || this.limits.maxCostUsd !== undefined;
  }

  /**
   * What a new call may still reserve: the limits less what was spent, what calls in flight
   * reserved and (unless `final`) what is held back for the last request. `alone` leaves out the
   * calls in flight: what will be free once they settle at no more than they reserved.
   */
  headroom(options: { final?: boolean | undefined; alone?: boolean } = {}): Headroom {
    const { maxTokens, maxCostUsd } = this.limits;
    const held = options.final ? { tokens: 0, costUsd: 0 } : this.#held;
    const reserved = options.alone ? { tokens: 0, costUsd: 0 } : this.#reserved;
    return {
      tokens: maxTokens === undefined ? Infinity : maxTokens - tokensOf(this.#total) - reserved.tokens - held.tokens,
      costUsd: maxCostUsd === undefined ? Infinity : maxCostUsd - this.#total.costUsd - reserved.costUsd - held.costUsd,
    };
  }

  /**
   * Throws {@link BudgetExceededError} if a new call would pass a limit; else counts it as
   * started and sets `reservation` aside until {@link end}. The `final` call (the last request
   * for an answer) may use what is held back for it, and is allowed after the budget closed.
   */
  begin(reservation: Reservation = { tokens: 0, costUsd: 0 }, options: { final?: boolean | undefined } = {}): Reservation {
    if (this.#closed && !options.final) throw this.#closed;
    const { maxCalls, maxTokens, maxCostUsd, timeoutMs } = this.limits;
    if (maxCalls !== undefined && this.#started + (options.final ? 0 : this.#held.calls) >= maxCalls) {
      throw new BudgetExceededError('calls', maxCalls, this.#started);
    }
    const room = this.headroom(options);
    if (maxTokens !== undefined && reservation.tokens > room.tokens) {
      throw new BudgetExceededError('tokens', maxTokens, tokensOf(this.#total));
    }
    if (maxCostUsd !== undefined && reservation.costUsd > room.costUsd) {
      throw new BudgetExceededError('cost', maxCostUsd, this.#total.costUsd);
    }
    if (!options.final && timeoutMs !== undefined && this.elapsedMs() >= timeoutMs) {
      throw new BudgetExceededError('time', timeoutMs, Math.round(this.elapsedMs()));
    }
    this.#started++;
    this.#inFlight++;
    this.#reserved.tokens += reservation.tokens;
    this.#reserved.costUsd += reservation.costUsd;
    return { ...reservation };
  }

  /** Holds back one call and this much of the headroom for the last request; ordinary calls cannot use them. */
  hold(reservation: Reservation): void {
    this.#held = { ...reservation, calls: 1 };
  }

  /** Throws the reason the budget was closed for, if it was (the final call goes on). */
  throwIfClosed(final = false): void {
    if (this.#closed && !final) throw this.#closed;
  }

  /** Refuses every later call (but the final one) with `reason`; calls in flight go on. */
  close(reason: BudgetExceededError): void {
    this.#closed ??= reason;
  }

  /** Resolves when no call is in flight, or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Resolves when the next call in flight settles (at once when none is), or when `signal` aborts. */
  settled(signal?: AbortSignal): Promise<void> {
    if (this.#inFlight === 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.#settleWaiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.#settleWaiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  /** Books a finished call and frees what it reserved. */
  end(modelId: string, depth: number, usage: Usage | undefined, reservation: Reservation = { tokens: 0, costUsd: 0 }): void {
    this.#inFlight--;
    this.#reserved.tokens -= reservation.tokens;
    this.#reserved.costUsd -= reservation.costUsd;
    if (this.#inFlight === 0) {
      // Sums of floating-point costs drift: with nothing in flight, nothing is reserved.
      this.#reserved.tokens = 0;
      this.#reserved.costUsd = 0;
      this.#drainWaiters.splice(0).forEach((wake) => wake());
    }
    [...this.#settleWaiters].forEach((wake) => wake());
    if (!usage) {
      this.#failed++;
      return;
    }
    addUsage(this.#total, usage);
    addUsage(getOrCreate(this.#byModel, modelId), usage);
    addUsage(getOrCreate(this.#byDepth, depth), usage);
  }

  /** Books a call answered from the memo: it cost nothing now, and saved this much. */
  memoHit(usage: Usage): void {
    this.#memo.hits++;
    this.#memo.savedInputTokens += usage.inputTokens;
    this.#memo.savedOutputTokens += usage.outputTokens;
    this.#memo.savedCostUsd += usage.costUsd ?? 0;
  }

  /** Counts one turn of an RLM at `depth`. */
  countTurn(depth: number): void {
    this.#turns.set(depth, (this.#turns.get(depth) ?? 0) + 1);
  }

  elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  usage(): UsageReport {
    return {
      total: { ...this.#total },
      byModel: Object.fromEntries([...this.#byModel].map(([k, v]) => [k, { ...v }])),
      byDepth: Object.fromEntries([...this.#byDepth].map(([k, v]) => [String(k), { ...v }])),
      iterationsByDepth: Object.fromEntries([...this.#turns].map(([k, v]) => [String(k), v])),
      memo: { ...this.#memo },
    };
  }

  snapshot(): BudgetSnapshot {
    const { maxCalls, maxTokens, maxCostUsd, timeoutMs } = this.limits;
    const elapsedMs = this.elapsedMs();
    const room = this.headroom();
    const left: BudgetSnapshot['left'] = {};
    if (maxCalls !== undefined) left.calls = Math.max(0, maxCalls - this.#started - this.#held.calls);
    if (maxTokens !== undefined) left.tokens = Math.max(0, room.tokens);
    if (maxCostUsd !== undefined) left.costUsd = Math.max(0, room.costUsd);
    if (timeoutMs !== undefined) left.timeMs = Math.max(0, timeoutMs - elapsedMs);
    const { byDepth, iterationsByDepth } = this.usage();
    return {
      spent: { ...this.#total, elapsedMs },
      byDepth,
      iterationsByDepth,
      limits: { ...this.limits },
      left,
      inFlight: this.#inFlight,
      failedCalls: this.#failed,
    };
  }
}

function tokensOf(totals: UsageTotals): number {
  return totals.inputTokens + totals.outputTokens;
}

function getOrCreate<K>(map: Map<K, UsageTotals>, key: K): UsageTotals {
  let totals = map.get(key);
  if (!totals) map.set(key, (totals = emptyTotals()));
  return totals;
}
