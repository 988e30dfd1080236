/**
 * Live progress on stderr: on a terminal one status line updated in place; otherwise a plain
 * line per turn and per finished cell. Counts come from events only.
 */
import type { RlmEvent } from '../trace/events.ts';

export interface ProgressOptions {
  stream: NodeJS.WriteStream | NodeJS.WritableStream;
  interactive: boolean;
  maxIterations: number;
}

export class Progress {
  readonly #options: ProgressOptions;
  readonly #started = performance.now();
  #turn = 0;
  #depth = 0;
  #subDone = 0;
  #subFailed = 0;
  #subRunning = 0;
  #tokens = 0;
  #cost = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastLength = 0;

  constructor(options: ProgressOptions) {
    this.#options = options;
    if (options.interactive) {
      this.#timer = setInterval(() => this.#draw(), 250);
      this.#timer.unref();
    }
  }

  readonly onEvent = (event: RlmEvent): void => {
    switch (event.type) {
      case 'turn-start':
        this.#depth = event.depth;
        if (event.depth === 0) {
          this.#turn = event.iteration;
          if (!this.#options.interactive) this.#line(this.#status());
        }
        break;
      case 'limit':
        this.#line(`rlm: limit reached: ${event.reason}`);
        break;
      case 'model-call-start':
        if (event.kind === 'sub') this.#subRunning++;
        break;
      case 'model-call-end':
        if (event.kind === 'sub') {
          this.#subRunning--;
          if (event.error) this.#subFailed++;
          else this.#subDone++;
        }
        if (event.usage) {
          this.#tokens += event.usage.inputTokens + event.usage.outputTokens;
          this.#cost += event.usage.costUsd ?? 0;
        }
        break;
      case 'retry':
        this.#line(`retrying ${event.model} in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt}): ${event.reason}`);
        break;
      case 'cell-end':
        if (event.error && !this.#options.interactive) this.#line(`  cell ${event.index + 1}: ${event.error.split('\n')[0]}`);
        break;
      case 'run-end':
        this.stop();
        this.#line(`${this.#status()} · ${event.status}`);
        break;
    }
    if (this.#options.interactive) this.#draw();
  };

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }

  #status(): string {
    const elapsed = ((performance.now() - this.#started) / 1000).toFixed(1);
    const failed = this.#subFailed > 0 ? `, ${this.#subFailed} failed` : '';
    const cost = this.#cost > 0 ? ` · $${this.#cost.toFixed(4)}` : '';
    const depth = this.#depth > 0 ? ` · depth ${this.#depth}` : '';
    return `rlm: turn ${this.#turn}/${this.#options.maxIterations}${depth} · sub-calls ${this.#subDone} done, ${this.#subRunning} running${failed} · ${formatTokens(this.#tokens)} tokens${cost} · ${elapsed}s`;
  }

  #draw(): void {
    if (!this.#timer) return;
    const text = this.#status();
    this.#options.stream.write(`\r\x1b[2K${text}`);
    this.#lastLength = text.length;
  }

  #clear(): void {
    if (this.#options.interactive && this.#lastLength > 0) this.#options.stream.write('\r\x1b[2K');
    this.#lastLength = 0;
  }

  #line(text: string): void {
    this.#clear();
    this.#options.stream.write(`${text}\n`);
    if (this.#options.interactive) this.#draw();
  }
}

function formatTokens(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}
