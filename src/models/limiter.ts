/**
 * A counting semaphore shared by every model call of a run (and of its children), so the whole
 * recursion tree never has more than `limit` requests in flight.
 */
import { asCancelled } from '../errors.ts';
import { wrapModel, type Model } from './model.ts';

export class Limiter {
  readonly limit: number;
  #active = 0;
  readonly #waiting: Array<{ grant: () => void }> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** Runs `task` once a slot is free; a waiting task leaves the queue when the signal aborts. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(asCancelled(signal.reason));
    if (this.#active < this.limit) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.#active++;
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(entry);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(asCancelled(signal?.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  #release(): void {
    this.#active--;
    this.#waiting.shift()?.grant();
  }
}

export function withLimit(model: Model, limiter: Limiter): Model {
  return wrapModel(model, (inner) => (request) => limiter.run(() => inner.generate(request), request.signal));
}
