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
  byDepth: Record<string, UsageTotals>;
}

export interface BudgetSnapshot {
  spent: UsageTotals & { elapsedMs: number };
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
  #started = 0;
  #inFlight = 0;
  #failed = 0;

  constructor(limits: BudgetLimits = {}) {
    this.limits = limits;
  }

  /** Throws {@link BudgetExceededError} if a new call would pass a limit; else counts it as started. */
  begin(): void {
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

  /** Books a finished call. */
  end(modelId: string, depth: number, usage: Usage | undefined): void {
    this.#inFlight--;
    if (!usage) {
      this.#failed++;
      return;
    }
    addUsage(this.#total, usage);
    addUsage(getOrCreate(this.#byModel, modelId), usage);
    addUsage(getOrCreate(this.#byDepth, depth), usage);
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
    return {
      spent: { ...this.#total, elapsedMs },
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
