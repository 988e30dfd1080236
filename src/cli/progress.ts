/**
 * Live progress on stderr: on a terminal one status line updated in place, never wider than the
 * terminal (a wrapped line cannot be redrawn in place: each update would leave a new line);
 * otherwise a plain line per turn. Counts come from events only. Anything else that must reach
 * stderr while the line is up (turns with --verbose, warnings) goes through `print`, above it.
 */
import type { PriceTable } from '../models/prices.ts';
import { RunProgress } from '../run-progress.ts';
import type { RlmEvent } from '../trace/events.ts';
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
  readonly #counts: RunProgress;
  #timer: NodeJS.Timeout | undefined;
  #shown = false;

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#counts = new RunProgress(options.prices);
    if (options.interactive) {
      this.#timer = setInterval(() => this.#draw(), 250);
      this.#timer.unref();
    }
  }

  readonly onEvent = (event: RlmEvent): void => {
    this.#counts.onEvent(event);
    switch (event.type) {
      case 'turn-start':
        if (event.depth === 0 && !this.#options.interactive) this.print(this.#status());
        break;
      case 'limit':
        this.print(`rlm: limit reached: ${event.reason}`);
        break;
      case 'retry':
        this.print(`retrying ${event.model} in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt}): ${event.reason}`);
        break;
      case 'cell-end':
        if (event.error && !this.#options.interactive) this.print(`  cell ${event.index + 1}: ${event.error.split('\n')[0]}`);
        break;
      case 'run-end':
        if (event.depth > 0) break;
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

  #status(): string {
    return `rlm: ${this.#counts.line()}`;
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
