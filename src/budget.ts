/**
 * One ledger for a whole run: every model call books its usage here, per model and per depth,
 * and every call is checked against the limits before it starts.
 */
import { BudgetExceededError } from './errors.ts';
import { addUsage, emptyTotals, type Usage, type UsageTotals } from './models/usage.ts';

export interface BudgetLimits {
  /** Most model calls in the whole run, root and sub-calls together. */
  maxCalls?: number;
  /** Most input plus output tokens. */
  maxTokens?: number;
  /** Most spend in USD. Needs every model used to have a known price. */
  maxCostUsd?: number;
  /** Wall time for the whole run in ms. */
  timeoutMs?: number;
}

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

export interface BudgetSnapshot {
  spent: UsageTotals & { elapsedMs: number };
  byDepth: UsageReport['byDepth'];
  iterationsByDepth: UsageReport['iterationsByDepth'];
  limits: BudgetLimits;
  /** What is left of each limit that is set. */
  left: { calls?: number; tokens?: number; costUsd?: number; timeMs?: number };
  inFlight: number;
  failedCalls: number;
}

export class Budget {
  readonly limits: BudgetLimits;
  readonly startedAt = Date.now();
  readonly #total = emptyTotals();
  readonly #byModel = new Map<string, UsageTotals>();
  readonly #byDepth = new Map<number, UsageTotals>();
  readonly #turns = new Map<number, number>();
  readonly #memo = { hits: 0, savedInputTokens: 0, savedOutputTokens: 0, savedCostUsd: 0 };
  #started = 0;
  #inFlight = 0;
  #failed = 0;
  #closed: BudgetExceededError | undefined;
  readonly #drainWaiters: Array<() => void> = [];

  constructor(limits: BudgetLimits = {}) {
    this.limits = limits;
  }

  /**
   * Throws {@link BudgetExceededError} if a new call would pass a limit; else counts it as
   * started. A `reserve` call (the last request for a final answer) is booked unchecked.
   */
  begin(options: { reserve?: boolean } = {}): void {
    if (options.reserve) {
      this.#started++;
      this.#inFlight++;
      return;
    }
    if (this.#closed) throw this.#closed;
    const { maxCalls, maxTokens, maxCostUsd, timeoutMs } = this.limits;
    if (maxCalls !== undefined && this.#started >= maxCalls) {
      throw new BudgetExceededError('calls', `call limit reached (${maxCalls} calls)`);
    }
    if (maxTokens !== undefined && tokensOf(this.#total) >= maxTokens) {
      throw new BudgetExceededError('tokens', `token limit reached (${maxTokens} tokens)`);
    }
    if (maxCostUsd !== undefined && this.#total.costUsd >= maxCostUsd) {
      throw new BudgetExceededError('cost', `cost limit reached ($${maxCostUsd})`);
    }
    if (timeoutMs !== undefined && this.elapsedMs() >= timeoutMs) {
      throw new BudgetExceededError('time', `time limit reached (${timeoutMs} ms)`);
    }
    this.#started++;
    this.#inFlight++;
  }

  /** Refuses every later call (but a reserved one) with `reason`; calls in flight go on. */
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

  /** Books a finished call. */
  end(modelId: string, depth: number, usage: Usage | undefined): void {
    this.#inFlight--;
    if (this.#inFlight === 0) this.#drainWaiters.splice(0).forEach((wake) => wake());
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
    const left: BudgetSnapshot['left'] = {};
    if (maxCalls !== undefined) left.calls = Math.max(0, maxCalls - this.#started);
    if (maxTokens !== undefined) left.tokens = Math.max(0, maxTokens - tokensOf(this.#total));
    if (maxCostUsd !== undefined) left.costUsd = Math.max(0, maxCostUsd - this.#total.costUsd);
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
