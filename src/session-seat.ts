/**
 * What a session's root RLM keeps from one question to the next: its REPL (every variable model
 * code made), its conversation, and the contexts given so far. Each question is a run of its own
 * (its own limits, events and stop signal), so the REPL's calls to the host go to whichever run
 * is asking now: the seat's bridge forwards them there.
 */
import type { Conversation } from './conversation.ts';
import type { NodeRepl } from './node.ts';
import type { Bridge, ContextValue } from './sandboxes/index.ts';

export class SessionSeat {
  /** Set by the first question's RLM, which starts the REPL and the conversation. */
  repl: NodeRepl | undefined;
  conversation: Conversation | undefined;
  /** The answer to the last question, told to the model with the next one. */
  lastAnswer: string | undefined;
  /** Contexts given after the first, not yet loaded into the REPL (it starts with the first question). */
  readonly pending: ContextValue[] = [];
  /** The contexts added since the last question, by their names (`context_1`...), to tell the model of. */
  readonly added: Array<{ name: string; value: ContextValue }> = [];
  /** The session's run ids: one count for all its questions, so ids never repeat in its trace. */
  readonly runIds = { next: 0 };
  #count = 1;
  #current: Bridge | undefined;

  /** The REPL's calls to the host, served by the run of the question being asked. */
  readonly bridge: Bridge = {
    llm_query: (...args) => this.#serving().llm_query(...args),
    rlm_query: (...args) => this.#serving().rlm_query(...args),
    budget: () => this.#serving().budget(),
    history: () => this.#serving().history?.() ?? [],
    tool: (name, args, signal) => {
      const tool = this.#serving().tool;
      if (!tool) return Promise.reject(new Error(`no tool named ${name}`));
      return tool(name, args, signal);
    },
  };

  /** The next question's run serves the REPL's calls from now on. */
  serve(bridge: Bridge): void {
    this.#current = bridge;
  }

  /** The name the next context gets: `context_1`, `context_2`... */
  nextName(): string {
    return `context_${this.#count++}`;
  }

  #serving(): Bridge {
    if (!this.#current) throw new Error('no question is being asked');
    return this.#current;
  }
}
