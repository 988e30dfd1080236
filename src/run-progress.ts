/**
 * A run's progress counted from its events — turn, sub-calls done, running and failed, requests
 * queued, tokens, spend — in one place, for every surface that shows it live: the terminal's
 * status line, the server's reasoning deltas, MCP progress notifications, the AI SDK's reasoning
 * parts. Counts come from events only, so they are what the trace says.
 */
import { costOf, DEFAULT_PRICES, findPrice, type PriceTable } from './models/prices.ts';
import type { Usage } from './models/usage.ts';
import type { RlmEvent } from './trace/events.ts';

/** Where a run stands. */
export interface ProgressSnapshot {
  /** The root's turn (1-based; 0 before the first). */
  turn: number;
  /** The run's limit on root turns, once the run has started. */
  maxIterations: number | undefined;
  /** The depth of the RLM whose turn began last. */
  depth: number;
  subDone: number;
  subRunning: number;
  subFailed: number;
  /** Requests waiting for a free slot of the limiter. */
  queued: number;
  tokens: number;
  /** The cost the provider reported, else at the known price; calls of unknown price count 0. */
  costUsd: number;
  elapsedMs: number;
  /** Set once the root run has ended. */
  status: string | undefined;
}

export class RunProgress {
  readonly #prices: PriceTable;
  readonly #started = performance.now();
  #ended: number | undefined;
  #turn = 0;
  #maxIterations: number | undefined;
  #depth = 0;
  #subDone = 0;
  #subFailed = 0;
  #subRunning = 0;
  #queued = 0;
  #tokens = 0;
  #cost = 0;
  #status: string | undefined;

  /** `prices`: the user's own, on top of the built-in table, to cost calls as they end. */
  constructor(prices?: PriceTable) {
    this.#prices = { ...DEFAULT_PRICES, ...prices };
  }

  readonly onEvent = (event: RlmEvent): void => {
    switch (event.type) {
      case 'run-start':
        if (event.depth === 0 && event.settings) this.#maxIterations = event.settings.maxIterations;
        break;
      case 'turn-start':
        this.#depth = event.depth;
        if (event.depth === 0) this.#turn = event.iteration;
        break;
      case 'model-call-start':
        if (event.kind === 'sub') this.#subRunning++;
        if (event.queued !== undefined) this.#queued = event.queued;
        break;
      case 'model-call-end':
        if (event.kind === 'sub') {
          this.#subRunning--;
          if (event.error) this.#subFailed++;
          else this.#subDone++;
        }
        if (event.queued !== undefined) this.#queued = event.queued;
        if (event.usage) {
          this.#tokens += event.usage.inputTokens + event.usage.outputTokens;
          this.#cost += this.#costOf(event.model, event.usage);
        }
        break;
      case 'run-end':
        // A child RLM's end is one more finished piece of work, not the end of the run.
        if (event.depth > 0) break;
        this.#queued = 0;
        this.#status = event.status;
        this.#ended = performance.now();
        break;
    }
  };

  snapshot(): ProgressSnapshot {
    return {
      turn: this.#turn,
      maxIterations: this.#maxIterations,
      depth: this.#depth,
      subDone: this.#subDone,
      subRunning: this.#subRunning,
      subFailed: this.#subFailed,
      queued: this.#queued,
      tokens: this.#tokens,
      costUsd: this.#cost,
      elapsedMs: (this.#ended ?? performance.now()) - this.#started,
      status: this.#status,
    };
  }

  /** One line: `turn 3/30 · sub-calls 12 done, 4 running · 48.2k tokens · $0.0123 · 4.2s`. */
  line(): string {
    const s = this.snapshot();
    const failed = s.subFailed > 0 ? `, ${s.subFailed} failed` : '';
    const queued = s.queued > 0 ? `, ${s.queued} queued` : '';
    const cost = s.costUsd > 0 ? ` · $${s.costUsd.toFixed(4)}` : '';
    const depth = s.depth > 0 ? ` · depth ${s.depth}` : '';
    const turns = s.maxIterations === undefined ? '' : `/${s.maxIterations}`;
    return `turn ${s.turn}${turns}${depth} · sub-calls ${s.subDone} done, ${s.subRunning} running${queued}${failed} · ${formatTokens(s.tokens)} tokens${cost} · ${(s.elapsedMs / 1000).toFixed(1)}s`;
  }

  #costOf(model: string, usage: Usage): number {
    if (usage.costUsd !== undefined) return usage.costUsd;
    const price = findPrice(model, this.#prices);
    return price ? costOf(usage, price) : 0;
  }
}

/** 950, 12.3k, 4.56M. */
export function formatTokens(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}
