/**
 * When a run's progress is worth a new line of reasoning: at every turn of the root, and as
 * sub-calls and child RLMs end, at most one line per `intervalMs` (a batch of a thousand sub-calls
 * is a few lines, not a thousand). The lines are {@link RunProgress}'s, as the terminal shows them.
 */
import type { PriceTable } from '../models/prices.ts';
import { RunProgress } from '../run-progress.ts';
import type { RlmEvent } from '../trace/events.ts';

/** Between two lines for sub-calls ending; a root turn always has its line. */
export const PROGRESS_INTERVAL_MS = 1_000;

export class ProgressLines {
  readonly #progress: RunProgress;
  readonly #emit: (line: string) => void;
  readonly #intervalMs: number;
  #lastAt = -Infinity;

  constructor(emit: (line: string) => void, prices?: PriceTable, intervalMs = PROGRESS_INTERVAL_MS) {
    this.#progress = new RunProgress(prices);
    this.#emit = emit;
    this.#intervalMs = intervalMs;
  }

  readonly onEvent = (event: RlmEvent): void => {
    this.#progress.onEvent(event);
    if (event.type === 'turn-start' && event.depth === 0) this.#line();
    const subEnded = (event.type === 'model-call-end' && event.kind === 'sub') || (event.type === 'run-end' && event.depth > 0);
    if (subEnded && performance.now() - this.#lastAt >= this.#intervalMs) this.#line();
  };

  /** The line as things stand, with how the run ended once it has. */
  line(): string {
    const { status } = this.#progress.snapshot();
    return status === undefined ? this.#progress.line() : `${this.#progress.line()} · ${status}`;
  }

  #line(): void {
    this.#lastAt = performance.now();
    this.#emit(this.line());
  }
}
