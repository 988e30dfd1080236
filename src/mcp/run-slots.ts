/**
 * The cap on asks running at once in a server that runs them itself (`rlm mcp` over stdio). Each
 * run holds a REPL process and spends on the model, and a client may send tool calls as fast as it
 * likes: past the cap an ask waits for a slot (before it loads its inputs, so a waiting ask holds
 * little), and past a queue of four times the cap it is refused. `rlm serve` caps its asks with its
 * own runs instead.
 */
import { RlmError } from '../errors.ts';

/** Asks running at once unless told otherwise: as `rlm serve`'s runs. */
export const DEFAULT_MAX_RUNS = 8;

export class RunSlots {
  readonly maxRunning: number;
  readonly maxWaiting: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(maxRunning: number = DEFAULT_MAX_RUNS) {
    this.maxRunning = maxRunning;
    this.maxWaiting = 4 * maxRunning;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * A slot, once one is free; the function it resolves to gives it back (once). Rejects with an
   * RlmError when the queue is full or when `signal` aborts while the ask waits.
   */
  async acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) throw cancelled();
    if (this.#running >= this.maxRunning) {
      if (this.#waiting.length >= this.maxWaiting)
        throw new RlmError(
          'RLM_USAGE',
          `too many asks at once: ${this.#running} running and ${this.#waiting.length} waiting (at most ${this.maxRunning} run at once); try again when one has finished`,
        );
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          signal.removeEventListener('abort', gone);
          resolve();
        };
        const gone = () => {
          const at = this.#waiting.indexOf(turn);
          if (at >= 0) this.#waiting.splice(at, 1);
          reject(cancelled());
        };
        this.#waiting.push(turn);
        signal.addEventListener('abort', gone, { once: true });
      });
    } else {
      this.#running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next ask waiting, so the count never dips below the cap meanwhile.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    };
  }
}

function cancelled(): RlmError {
  return new RlmError('RLM_CANCELLED', 'the ask was cancelled while it waited for a free slot');
}
