/**
 * Writes a run's events to its log in Redis as they come, in order, in batches: the run hands
 * each event over and goes on (it is never held up by Redis), while one write at a time carries
 * what has piled up. Each write is refused if the worker no longer owns the run, and tells of a
 * cancel: either stops the run. When Redis cannot be reached, writes are tried again, a second
 * apart, for up to `giveUpMs`; past that the run is stopped and left for another worker to take
 * up from what its log holds — what reached Redis was paid for once, and is not asked again.
 */
import type { RlmEvent } from '../trace/events.ts';
import type { LogEntry, RunRecords } from './run-records.ts';

/** Why the writer stopped the run. */
export type WriterStop = { lost: true } | { cancelled: string } | { unreachable: true };

export class LogWriter {
  readonly #records: RunRecords;
  readonly #id: string;
  readonly #owner: string;
  readonly #giveUpMs: number;
  readonly #onStop: (why: WriterStop) => void;
  readonly #started = performance.now();
  #pending: LogEntry[] = [];
  #writing: Promise<void> | undefined;
  #stopped = false;
  /** The number of the last batch sent. */
  #seq = 0;

  constructor(records: RunRecords, id: string, owner: string, onStop: (why: WriterStop) => void, giveUpMs = 60_000) {
    this.#records = records;
    this.#id = id;
    this.#owner = owner;
    this.#onStop = onStop;
    this.#giveUpMs = giveUpMs;
  }

  /** The sink to hand the run. */
  readonly onEvent = (event: RlmEvent): void => {
    if (this.#stopped) return;
    this.#pending.push({ k: 'event', e: { t: Math.round(performance.now() - this.#started), ...event } });
    this.#writing ??= this.#write();
  };

  /** Resolves once every event handed over so far is in Redis (or the writer has stopped). */
  async flushed(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Whether the writer stopped (and why it told). */
  get stopped(): boolean {
    return this.#stopped;
  }

  async #write(): Promise<void> {
    try {
      while (this.#pending.length > 0 && !this.#stopped) {
        const batch = this.#pending;
        this.#pending = [];
        const outcome = await this.#appendWithRetry(batch, ++this.#seq);
        if (outcome === undefined) return this.#stop({ unreachable: true });
        if ('lost' in outcome) return this.#stop({ lost: true });
        if ('cancelled' in outcome) this.#onStop({ cancelled: outcome.cancelled });
      }
    } finally {
      this.#writing = undefined;
    }
  }

  /** The append, tried again while Redis is away, for up to `giveUpMs`; undefined when it never got through. */
  async #appendWithRetry(batch: LogEntry[], seq: number) {
    const deadline = performance.now() + this.#giveUpMs;
    for (;;) {
      try {
        return await this.#records.append(this.#id, this.#owner, batch, seq);
      } catch {
        if (performance.now() > deadline) return undefined;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  #stop(why: WriterStop): void {
    this.#stopped = true;
    this.#pending = [];
    this.#onStop(why);
  }
}
