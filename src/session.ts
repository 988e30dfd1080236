/**
 * A conversation with an RLM over a context: one question after another on the same REPL, so a
 * follow-up sees every variable earlier questions computed and pays nothing to rebuild them.
 * Each question is a run of its own, with its own limits and signal: cancelling one cancels
 * that question, not the session.
 */
import { CancelledError, RlmError } from './errors.ts';
import type { RunResult } from './rlm.ts';
import type { ContextValue } from './sandboxes/index.ts';
import type { AnswerSchema } from './schema/index.ts';
import { SessionSeat } from './session-seat.ts';
import { emptyTotals, type UsageTotals } from './models/usage.ts';

/** One question of a session. */
export interface SessionQuestion<T = unknown> {
  /** Aborting it cancels this question only; the session goes on. */
  signal?: AbortSignal;
  /** The shape of this question's answer (see `RunInput.schema`). */
  schema?: AnswerSchema<T> | undefined;
}

/** How a session runs one question: the RLM's run, on the session's seat. */
export type AskOnSeat = <T>(query: string, seat: SessionSeat, question: SessionQuestion<T>) => Promise<RunResult<T>>;

/**
 * An RLM session: `rlm.session({ context })`. Questions are asked one at a time; a question
 * asked while another runs waits for it.
 *
 * @example
 * const session = rlm.session({ context: logs });
 * await session.ask('Which services log errors? Keep the counts in a variable.');
 * const { answer } = await session.ask('Of those, which got worse after the deploy?');
 * session.close();
 */
export class RlmSession {
  readonly #seat: SessionSeat;
  readonly #ask: AskOnSeat;
  readonly #emitAdded: (name: string, value: ContextValue) => void;
  readonly #results: RunResult[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Aborts the question running when the session closes. */
  readonly #closing = new AbortController();

  /** @internal made by `RLM.session` */
  constructor(ask: AskOnSeat, emitAdded: (name: string, value: ContextValue) => void) {
    this.#seat = new SessionSeat();
    this.#ask = ask;
    this.#emitAdded = emitAdded;
  }

  /** Asks the next question; resolves when its run ends, however it ends. */
  ask<T = unknown>(query: string, question: SessionQuestion<T> = {}): Promise<RunResult<T>> {
    if (this.#closed) return Promise.reject(new RlmError('RLM_USAGE', 'the session is closed'));
    const asked = this.#queue.then(async () => {
      if (this.#closed) throw new RlmError('RLM_USAGE', 'the session is closed');
      const signal = question.signal ? AbortSignal.any([question.signal, this.#closing.signal]) : this.#closing.signal;
      const result = await this.#ask(query, this.#seat, { ...question, signal });
      this.#seat.lastAnswer = result.answer;
      this.#results.push(result);
      return result;
    });
    this.#queue = asked.catch(() => undefined);
    return asked;
  }

  /**
   * Adds a context: the REPL gets it as `context_1`, `context_2`... (`context` names the newest;
   * the first stays `context_0`), and the next question tells the model what it is. Waits for a
   * question that is running.
   */
  addContext(value: ContextValue): Promise<string> {
    if (this.#closed) return Promise.reject(new RlmError('RLM_USAGE', 'the session is closed'));
    const added = this.#queue.then(async () => {
      const seat = this.#seat;
      const name = seat.nextName();
      if (seat.repl) await (await seat.repl.ready).addContext(value);
      else seat.pending.push(value);
      seat.added.push({ name, value });
      this.#emitAdded(name, value);
      return name;
    });
    this.#queue = added.catch(() => undefined);
    return added;
  }

  /** What every question so far spent, added up. */
  get usage(): UsageTotals {
    const sum = emptyTotals();
    for (const { usage } of this.#results) addTotals(sum, usage.total);
    return sum;
  }

  /** Ends the session and its REPL; a question still running is cancelled. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort(new CancelledError('the session was closed'));
    // Ended once the question it cancels has ended: a REPL ended under a running cell would leave
    // that question waiting on it for ever.
    void this.#queue.finally(() => this.#seat.repl?.dispose());
  }
}

function addTotals(sum: UsageTotals, more: UsageTotals): void {
  for (const key of Object.keys(sum) as Array<keyof UsageTotals>) sum[key] += more[key];
}
