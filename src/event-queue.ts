/** Events waiting for a `for await` reader; nothing is dropped, whatever the reader's pace. */
import type { RlmEvent } from './trace/events.ts';

export class EventQueue implements AsyncIterable<RlmEvent> {
  #items: RlmEvent[] = [];
  /** The next item to hand over: an index, so that a long backlog is not shifted item by item. */
  #next = 0;
  #wake: (() => void) | undefined;
  #closed = false;

  push(event: RlmEvent): void {
    this.#items.push(event);
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RlmEvent> {
    for (;;) {
      if (this.#next < this.#items.length) {
        const item = this.#items[this.#next++]!;
        if (this.#next === this.#items.length) {
          this.#items = [];
          this.#next = 0;
        }
        yield item;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
