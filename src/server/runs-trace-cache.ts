/**
 * What the server made from a trace file, kept until the file changes: a run's page asks for its
 * view again each time the run moves on, and the list of runs is asked for every few seconds while
 * one goes on, so a trace is read again only when it has grown. The oldest entries go first past
 * `max`.
 */
import { stat } from 'node:fs/promises';

export class TraceCache<T> {
  readonly #max: number;
  readonly #entries = new Map<string, { stamp: string; value: T }>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The value made from the file at `path`, made again by `make` when the file's size or time changed. */
  async get(path: string, make: () => Promise<T>): Promise<T> {
    let stamp: string;
    try {
      const info = await stat(path);
      stamp = `${info.size}:${info.mtimeMs}`;
    } catch {
      // No file: `make` says what that means (a 404, an empty view).
      return make();
    }
    const hit = this.#entries.get(path);
    this.#entries.delete(path);
    // Made from the file as it is now or later (it only grows): as good as new.
    const value = hit?.stamp === stamp ? hit.value : await make();
    this.#entries.set(path, { stamp, value });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#max) break;
      this.#entries.delete(oldest);
    }
    return value;
  }
}
