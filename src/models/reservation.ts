/**
 * How much a request can use at most, known before it is sent: the bound a hard limit reserves.
 *
 * Input: no tokenizer in use (byte-level BPE, SentencePiece with byte fallback) makes more
 * tokens than the text has UTF-8 bytes, so bytes plus a per-message allowance bound a prompt
 * whatever the model. A conversation's next request is bounded tighter: its prefix is exactly
 * what the provider counted for the previous request (input plus the reply), and only the
 * messages added since need the byte bound. Output: the request's output cap, which a provider
 * does not pass.
 */
import type { GenerateRequest, Message } from './model.ts';
import type { Price } from './prices.ts';
import type { Usage } from './usage.ts';

/** Room for role markers and separators around each message, and for the request's own. */
const PER_MESSAGE_TOKENS = 8;
const PER_REQUEST_TOKENS = 16;

/**
 * The output cap a request gets when a token or cost limit is set and it names none: the
 * reserve must be finite. Replies with code and a plan fit well within it.
 */
export const DEFAULT_OUTPUT_CAP = 16_384;
/** Below this many output tokens a request is not worth sending: the limit is reached. */
export const MIN_OUTPUT_CAP = 256;

export class RequestSizer {
  /** Per conversation: how many messages its last request had and what they were counted at. */
  readonly #conversations = new Map<string, { messages: number; tokens: number }>();

  /** The most input tokens `request` can be counted at. */
  inputBound(request: GenerateRequest, conversation: string | undefined): number {
    const { messages } = request;
    const from = request.trace?.from ?? 0;
    const known = conversation === undefined ? undefined : this.#conversations.get(conversation);
    // The previous request of this conversation carried messages[0, from - 1); its reply is from - 1.
    if (known && from > 0 && from === known.messages + 1 && messages.length >= from) {
      return known.tokens + PER_MESSAGE_TOKENS + boundOf(messages.slice(from)) + PER_REQUEST_TOKENS;
    }
    return boundOf(messages) + PER_REQUEST_TOKENS;
  }

  /** Remembers what the provider counted, to bound the conversation's next request. */
  record(request: GenerateRequest, conversation: string | undefined, usage: Usage): void {
    if (conversation === undefined || usage.estimated) return;
    this.#conversations.set(conversation, { messages: request.messages.length, tokens: usage.inputTokens + usage.outputTokens });
  }
}

function boundOf(messages: readonly Message[]): number {
  return messages.reduce((n, m) => n + Buffer.byteLength(m.content, 'utf8') + PER_MESSAGE_TOKENS, 0);
}

/** The most a request of `inputTokens` and `outputTokens` can cost: every input token at its dearest. */
export function reservedCost(inputTokens: number, outputTokens: number, price: Price | undefined): number {
  if (!price) return 0;
  return (inputTokens * Math.max(price.input, price.cacheWrite ?? price.input) + outputTokens * price.output) / 1e6;
}

/** The most output tokens that fit in `room` after an input of `inputTokens`. */
export function affordableOutput(room: { tokens: number; costUsd: number }, inputTokens: number, price: Price | undefined): number {
  const byTokens = room.tokens - inputTokens;
  let byCost = Infinity;
  if (price && room.costUsd !== Infinity) {
    const left = room.costUsd - reservedCost(inputTokens, 0, price);
    byCost = left < 0 ? -1 : price.output > 0 ? (left * 1e6) / price.output : Infinity;
  }
  return Math.floor(Math.min(byTokens, byCost));
}
