/**
 * A run's live progress as MCP `notifications/progress`: the same line the terminal shows
 * (`RunProgress.line()`), sent on each root turn and otherwise at most every `intervalMs`, with
 * `progress` the number of the run's events so far (so it only ever grows). A request without a
 * progress token gets none.
 */
import { RunProgress } from '../run-progress.ts';
import type { PriceTable } from '../models/prices.ts';
import type { RlmEvent } from '../trace/events.ts';

/** Sends one notification; a failure (the client gone) is the caller's to ignore. */
export type NotifyFn = (params: { progressToken: string | number; progress: number; message: string }) => Promise<void>;

export class ProgressNotifier {
  readonly #counts: RunProgress;
  readonly #token: string | number | undefined;
  readonly #notify: NotifyFn;
  readonly #intervalMs: number;
  #events = 0;
  #progress = 0;
  #stopped = false;
  #lastSent = -Infinity;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { token: string | number | undefined; notify: NotifyFn; prices?: PriceTable | undefined; intervalMs?: number }) {
    this.#counts = new RunProgress(options.prices);
    this.#token = options.token;
    this.#notify = options.notify;
    this.#intervalMs = options.intervalMs ?? 250;
  }

  /** A message of the notifier's own (loading the inputs...), before the run's events start. */
  say(message: string): void {
    this.#send(message);
  }

  readonly onEvent = (event: RlmEvent): void => {
    this.#counts.onEvent(event);
    this.#events++;
    if (this.#token === undefined) return;
    const rootTurn = event.type === 'turn-start' && event.depth === 0;
    const ended = event.type === 'run-end' && event.depth === 0;
    if (rootTurn || ended || performance.now() - this.#lastSent >= this.#intervalMs) return this.#send();
    // Within the interval: the latest state goes out when it is over, so the last change is never lost.
    this.#timer ??= setTimeout(
      () => {
        this.#timer = undefined;
        this.#send();
      },
      this.#intervalMs - (performance.now() - this.#lastSent),
    );
    this.#timer.unref();
  };

  /** Stops the pending notification: nothing is sent once the tool call has answered. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopped = true;
  }

  #send(message?: string): void {
    if (this.#token === undefined || this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastSent = performance.now();
    this.#progress = Math.max(this.#progress + 1, this.#events);
    this.#notify({ progressToken: this.#token, progress: this.#progress, message: message ?? this.#counts.line() }).catch(() => {
      // the client is gone or the request is over: nothing to tell
    });
  }

  /** The line as it stands, for the result. */
  line(): string {
    return this.#counts.line();
  }
}
