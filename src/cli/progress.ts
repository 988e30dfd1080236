/**
 * Live progress on stderr: on a terminal one status line updated in place, never wider than the
 * terminal (a wrapped line cannot be redrawn in place: each update would leave a new line);
 * otherwise a plain line per turn. Counts come from events only. Anything else that must reach
 * stderr while the line is up (turns with --verbose, warnings) goes through `print`, above it.
 */
import { costOf, DEFAULT_PRICES, findPrice, type PriceTable } from '../models/prices.ts';
import type { Usage } from '../models/usage.ts';
import type { RlmEvent } from '../trace/events.ts';
import { formatTokens } from './run-report.ts';
import { terminalText } from './terminal-text.ts';

export interface ProgressOptions {
  stream: NodeJS.WritableStream;
  interactive: boolean;
  /** The terminal's width now (it may change while the run goes); none for a pipe. */
  columns?: () => number | undefined;
  /** The user's prices (--prices), on top of the built-in table, to cost calls as they end. */
  prices?: PriceTable;
}

export class Progress {
  readonly #options: ProgressOptions;
  readonly #prices: PriceTable;
  readonly #started = performance.now();
  #turn = 0;
  /** The run's limit on root turns, from its settings when it starts (the library's default, or what was asked). */
  #maxIterations: number | undefined;
  #depth = 0;
  #subDone = 0;
  #subFailed = 0;
  #subRunning = 0;
  #queued = 0;
  #tokens = 0;
  #cost = 0;
  #timer: NodeJS.Timeout | undefined;
  #shown = false;

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#prices = { ...DEFAULT_PRICES, ...options.prices };
    if (options.interactive) {
      this.#timer = setInterval(() => this.#draw(), 250);
      this.#timer.unref();
    }
  }

  readonly onEvent = (event: RlmEvent): void => {
    switch (event.type) {
      case 'run-start':
        if (event.depth === 0 && event.settings) this.#maxIterations = event.settings.maxIterations;
        break;
      case 'turn-start':
        this.#depth = event.depth;
        if (event.depth === 0) {
          this.#turn = event.iteration;
          if (!this.#options.interactive) this.print(this.#status());
        }
        break;
      case 'limit':
        this.print(`rlm: limit reached: ${event.reason}`);
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
      case 'retry':
        this.print(`retrying ${event.model} in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt}): ${event.reason}`);
        break;
      case 'cell-end':
        if (event.error && !this.#options.interactive) this.print(`  cell ${event.index + 1}: ${event.error.split('\n')[0]}`);
        break;
      case 'run-end':
        // A child RLM's end is one more finished piece of work, not the end of the run.
        if (event.depth > 0) break;
        this.#queued = 0;
        this.stop();
        this.print(this.#clip(`${this.#status()} · ${event.status}`));
        break;
    }
    if (this.#options.interactive) this.#draw();
  };

  /** Writes a line above the status line, which is drawn again under it. */
  print(text: string): void {
    this.#clear();
    this.#options.stream.write(`${this.#options.interactive ? terminalText(text) : text}\n`);
    if (this.#options.interactive) this.#draw();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }

  /** The cost the provider reported, else the call's cost at the known price; 0 when neither. */
  #costOf(model: string, usage: Usage): number {
    if (usage.costUsd !== undefined) return usage.costUsd;
    const price = findPrice(model, this.#prices);
    return price ? costOf(usage, price) : 0;
  }

  #status(): string {
    const elapsed = ((performance.now() - this.#started) / 1000).toFixed(1);
    const failed = this.#subFailed > 0 ? `, ${this.#subFailed} failed` : '';
    const queued = this.#queued > 0 ? `, ${this.#queued} queued` : '';
    const cost = this.#cost > 0 ? ` · $${this.#cost.toFixed(4)}` : '';
    const depth = this.#depth > 0 ? ` · depth ${this.#depth}` : '';
    return `rlm: turn ${this.#turn}${this.#maxIterations === undefined ? '' : `/${this.#maxIterations}`}${depth} · sub-calls ${this.#subDone} done, ${this.#subRunning} running${queued}${failed} · ${formatTokens(this.#tokens)} tokens${cost} · ${elapsed}s`;
  }

  #draw(): void {
    if (!this.#timer) return;
    this.#options.stream.write(`\r\x1b[2K${this.#clip(this.#status())}`);
    this.#shown = true;
  }

  /** One column short of the width: writing into the last column makes some terminals wrap. */
  #clip(text: string): string {
    const columns = this.#options.interactive ? this.#options.columns?.() : undefined;
    if (!columns || columns < 2 || text.length < columns) return text;
    return `${text.slice(0, columns - 2)}…`;
  }

  #clear(): void {
    if (this.#options.interactive && this.#shown) this.#options.stream.write('\r\x1b[2K');
    this.#shown = false;
  }
}
