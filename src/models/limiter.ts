/**
 * A counting semaphore shared by every model call of a run (and of its children), so the whole
 * recursion tree never has more than `limit` requests in flight.
 */
import { asCancelled } from '../errors.ts';
import { wrapModel, type Model } from './model.ts';

/**
 * Runs at most `limit` tasks at once; the others wait in order. A waiting task whose signal aborts
 * leaves the queue at once.
 */
export class Limiter {
  readonly limit: number;
  #active = 0;
  readonly #waiting = new WaitQueue();
  readonly #bySignal = new Map<AbortSignal, { waiters: Map<Waiter, () => void>; listener: () => void }>();

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.size;
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
      const waiter = this.#waiting.push(() => {
        if (signal) this.#unwatch(signal, waiter);
        this.#active++;
        resolve();
      });
      if (signal) this.#watch(signal, waiter, () => reject(asCancelled(signal.reason)));
    });
  }

  /**
   * One abort listener per signal, however many tasks wait on it: many calls of one cell may
   * share its signal, and an EventTarget's cost to add a listener grows with those it has.
   */
  #watch(signal: AbortSignal, waiter: Waiter, onAbort: () => void): void {
    let group = this.#bySignal.get(signal);
    if (!group) {
      const waiters = new Map<Waiter, () => void>();
      const listener = () => {
        this.#bySignal.delete(signal);
        for (const [each, reject] of waiters) {
          this.#waiting.remove(each);
          reject();
        }
      };
      group = { waiters, listener };
      this.#bySignal.set(signal, group);
      signal.addEventListener('abort', listener, { once: true });
    }
    group.waiters.set(waiter, onAbort);
  }

  #unwatch(signal: AbortSignal, waiter: Waiter): void {
    const group = this.#bySignal.get(signal);
    if (!group) return;
    group.waiters.delete(waiter);
    if (group.waiters.size > 0) return;
    this.#bySignal.delete(signal);
    signal.removeEventListener('abort', group.listener);
  }

  #release(): void {
    this.#active--;
    this.#waiting.shift()?.grant();
  }
}

interface Waiter {
  grant: () => void;
  previous: Waiter | undefined;
  next: Waiter | undefined;
  queued: boolean;
}

/**
 * Tasks waiting for a slot, first in first out. A linked list, so that a cell that fires a
 * hundred thousand calls and is then aborted takes each out in constant time, not by searching.
 */
class WaitQueue {
  #first: Waiter | undefined;
  #last: Waiter | undefined;
  size = 0;

  push(grant: () => void): Waiter {
    const waiter: Waiter = { grant, previous: this.#last, next: undefined, queued: true };
    if (this.#last) this.#last.next = waiter;
    else this.#first = waiter;
    this.#last = waiter;
    this.size++;
    return waiter;
  }

  shift(): Waiter | undefined {
    const first = this.#first;
    if (first) this.remove(first);
    return first;
  }

  remove(waiter: Waiter): void {
    if (!waiter.queued) return;
    waiter.queued = false;
    if (waiter.previous) waiter.previous.next = waiter.next;
    else this.#first = waiter.next;
    if (waiter.next) waiter.next.previous = waiter.previous;
    else this.#last = waiter.previous;
    waiter.previous = waiter.next = undefined;
    this.size--;
  }
}

/** The model, each call of it taking one of the limiter's slots while it is in flight. */
export function withLimit(model: Model, limiter: Limiter): Model {
  return wrapModel(model, (inner) => (request) => limiter.run(() => inner.generate(request), request.signal));
}
