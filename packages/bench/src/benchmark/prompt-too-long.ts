/**
 * A prompt the provider refused as longer than the model's window. The baselines measure text in
 * characters, about four a token for English prose; code, numbers and other languages take more
 * tokens a character, and a window may be smaller than the table says. Told so, they try again
 * with less, sized from what the provider reported when it says how many tokens the prompt took.
 */
import { ProviderError } from 'rlm';

/** Tries in all, the first included, before the provider's refusal stands. */
export const PROMPT_ATTEMPTS = 4;

const TOO_LONG = /context length|context_length|context window|too long|too many tokens|maximum context|exceeds the (maximum|limit)/i;

export interface PromptTooLong {
  /** The model's limit in tokens, when the message says it. */
  limitTokens: number | undefined;
  /** How many tokens the refused prompt took, when the message says it. */
  promptTokens: number | undefined;
}

export function promptTooLong(error: unknown): PromptTooLong | undefined {
  if (!(error instanceof ProviderError) || (error.status !== 400 && error.status !== 413) || !TOO_LONG.test(error.message))
    return undefined;
  const message = error.message;
  // OpenAI and vLLM: "maximum context length is 32768 tokens. However, your messages resulted in 40000 tokens".
  // Anthropic: "prompt is too long: 210000 tokens > 200000 maximum".
  const limit = /maximum context length is (\d+)/i.exec(message)?.[1] ?? /> (\d+) maximum/i.exec(message)?.[1];
  const prompt = /resulted in (\d+) tokens/i.exec(message)?.[1] ?? /too long: (\d+) tokens/i.exec(message)?.[1];
  return { limitTokens: limit === undefined ? undefined : Number(limit), promptTokens: prompt === undefined ? undefined : Number(prompt) };
}

/**
 * How many characters of text to try next, after a prompt of `promptChars` characters holding
 * `textChars` of text was refused: scaled to the reported limit when the message gives both
 * counts (with a tenth to spare), else three quarters; always less than before.
 */
export function shorterText(refused: PromptTooLong, promptChars: number, textChars: number): number {
  const smaller = Math.floor(textChars * 0.75);
  const { limitTokens, promptTokens } = refused;
  if (limitTokens === undefined || promptTokens === undefined || promptTokens <= 0) return smaller;
  const charsPerToken = promptChars / promptTokens;
  const fits = Math.floor(textChars - (promptTokens - limitTokens * 0.9) * charsPerToken);
  return Math.max(0, Math.min(fits, textChars - 1));
}
