/**
 * One RLM's conversation with its root model: the messages it is sent, every message ever said
 * (what the REPL reads as `history`, compacted turns included), and how full the model's window
 * is. When the window nears full, the conversation restarts from the model's own summary; the
 * REPL keeps everything.
 */
import type { GenerateRequest, Message } from './models/model.ts';

export class Conversation {
  readonly #messages: Message[] = [];
  readonly #history: Message[] = [];
  readonly #window: WindowMeter;
  /** How many of the messages earlier requests carried: a request's trace records only the rest. */
  #sent = 0;
  /** A session's question asked after the first: kept through a compaction, as the first is. */
  #question: string | undefined;

  /**
   * @param windowTokens the root model's context window
   * @param compactAt the share of it past which the conversation is compacted
   */
  constructor(system: string, firstTurn: string, windowTokens: number, compactAt: number) {
    this.#window = new WindowMeter(windowTokens * compactAt);
    this.#add({ role: 'system', content: system });
    this.#add({ role: 'user', content: firstTurn });
  }

  /** What the REPL's `history` shows: every message so far, compacted ones included. */
  get history(): readonly Message[] {
    return this.#history;
  }

  /** The messages the next request sends. */
  get messages(): readonly Message[] {
    return this.#messages;
  }

  /** Adds a message the model will read with its next request (the outputs of its code, a nudge). */
  say(content: string): void {
    this.#add({ role: 'user', content });
  }

  /** Asks a session's next question: said, and kept in view through compactions until the next. */
  ask(content: string): void {
    this.#question = content;
    this.say(content);
  }

  /** The request for the model's next reply, marked with what earlier requests already carried. */
  request(runId: string, extra: Omit<GenerateRequest, 'messages' | 'trace'> = {}): GenerateRequest {
    return { ...extra, messages: [...this.#messages], trace: { runId, from: this.#sent } };
  }

  /**
   * The same request with one more message that the conversation does not keep: the request for
   * a summary, the last request for an answer after a limit.
   */
  requestWith(content: string, runId: string, extra: Omit<GenerateRequest, 'messages' | 'trace'> = {}): GenerateRequest {
    return { ...extra, messages: [...this.#messages, { role: 'user', content }], trace: { runId, from: this.#sent } };
  }

  /** Records the model's reply to {@link request}, with the tokens the provider counted for it. */
  replied(text: string, tokens: number): void {
    this.#window.measured(this.#messages, tokens);
    this.#add({ role: 'assistant', content: text });
    this.#sent = this.#messages.length;
  }

  /** Whether the next request would pass the share of the window set for compaction. */
  isNearlyFull(): boolean {
    return this.#messages.length > 2 && this.#window.isPast(this.#messages);
  }

  /**
   * Restarts from the model's summary, answering `request` (made by {@link requestWith}): the
   * system prompt, the first turn, the summary, and `resume`, which tells the model where it is.
   */
  compacted(request: string, summary: string, resume: string): void {
    const [system, first] = this.#messages;
    this.#history.push({ role: 'user', content: request }, { role: 'assistant', content: summary });
    this.#messages.length = 0;
    this.#messages.push(system!, first!, { role: 'assistant', content: summary });
    // The first turn holds the first question; a later one would be lost with the rest.
    const question = this.#question === undefined ? '' : `\n\nThe question you are answering now:\n${this.#question}`;
    this.#add({ role: 'user', content: resume + question });
    this.#window.measured(this.#messages, undefined);
    this.#sent = 0;
  }

  #add(message: Message): void {
    this.#messages.push(message);
    this.#history.push(message);
  }
}

/**
 * How full the conversation is, in tokens: what the provider counted for the last request, plus
 * an estimate (four characters a token) for what was added since.
 */
class WindowMeter {
  readonly #limit: number;
  #tokens = 0;
  #chars = 0;

  constructor(limitTokens: number) {
    this.#limit = limitTokens;
  }

  measured(messages: readonly Message[], tokens: number | undefined): void {
    this.#chars = charsOf(messages);
    this.#tokens = tokens ?? Math.ceil(this.#chars / 4);
  }

  isPast(messages: readonly Message[]): boolean {
    const added = Math.max(0, charsOf(messages) - this.#chars);
    return this.#tokens + Math.ceil(added / 4) > this.#limit;
  }
}

function charsOf(messages: readonly Message[]): number {
  return messages.reduce((n, m) => n + m.content.length, 0);
}
