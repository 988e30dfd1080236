/**
 * Prices in USD per million tokens, for costing calls whose provider does not report a cost.
 * Users can add their own; a model found in neither is costed as unknown, never as zero.
 */
import { RlmError } from '../errors.ts';
import type { Usage } from './usage.ts';

/** A model's price in USD per million tokens. */
export interface Price {
  input: number;
  cachedInput: number;
  output: number;
  /** Writing the prompt cache (Anthropic); default: the input price. */
  cacheWrite?: number;
}

/** Prices by model id; an id is also matched without its provider prefix or date suffix (see `findPrice`). */
export type PriceTable = Readonly<Record<string, Price>>;

const anthropic = (input: number, output: number): Price => ({ input, cachedInput: input / 10, output, cacheWrite: input * 1.25 });

/** List prices of common models (per million tokens; Gemini at the ≤200K-token tier). */
export const DEFAULT_PRICES: PriceTable = {
  // OpenAI
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  o3: { input: 2, cachedInput: 0.5, output: 8 },
  'o3-mini': { input: 1.1, cachedInput: 0.55, output: 4.4 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
  // Anthropic: cache reads at a tenth of the input price, cache writes at 1.25 times it
  'claude-sonnet-5-5': anthropic(2, 10),
  'claude-sonnet-5': anthropic(2, 10),
  'claude-opus-4-1': anthropic(15, 75),
  'claude-opus-4': anthropic(15, 75),
  'claude-sonnet-4-5': anthropic(3, 15),
  'claude-sonnet-4': anthropic(3, 15),
  'claude-3-7-sonnet': anthropic(3, 15),
  'claude-haiku-4-5': anthropic(1, 5),
  'claude-3-5-haiku': anthropic(0.8, 4),
  // Google
  'gemini-2.5-pro': { input: 1.25, cachedInput: 0.31, output: 10 },
  'gemini-2.5-flash': { input: 0.3, cachedInput: 0.075, output: 2.5 },
  'gemini-2.5-flash-lite': { input: 0.1, cachedInput: 0.025, output: 0.4 },
};

/**
 * A cost limit is enforced from each call's cost, so a model without a price would spend without
 * limit: refused before anything runs.
 */
export function refuseUnpricedCostLimit(modelIds: readonly string[], prices: PriceTable | undefined): void {
  for (const id of modelIds) {
    if (!findPrice(id, { ...DEFAULT_PRICES, ...prices })) {
      throw new RlmError(
        'RLM_USAGE',
        `a cost limit needs a known price, and "${id}" has none; give its prices per million tokens (--prices, or the \`prices\` option), or drop the cost limit`,
      );
    }
  }
}

/**
 * Finds a price by exact name, then without a provider prefix (OpenRouter's `openai/gpt-5`),
 * with dots as dashes (`claude-sonnet-4.5`), and without a date suffix (`-20250929`, `-latest`).
 */
export function findPrice(modelId: string, table: PriceTable = DEFAULT_PRICES): Price | undefined {
  const bare = modelId.includes('/') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId;
  const dashed = bare.replace(/(\d)\.(\d)/g, '$1-$2');
  const undated = dashed.replace(/-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/, '');
  for (const name of [modelId, bare, dashed, undated]) {
    const price = table[name];
    if (price) return price;
  }
  return undefined;
}

export function costOf(usage: Usage, price: Price): number {
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - cacheWrite);
  return (
    (uncached * price.input +
      usage.cachedInputTokens * price.cachedInput +
      cacheWrite * (price.cacheWrite ?? price.input) +
      usage.outputTokens * price.output) /
    1e6
  );
}

/** Checks a user's price table (e.g. from a JSON file): every entry needs numbers >= 0. */
export function parsePriceTable(value: unknown, source: string): PriceTable {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RlmError('RLM_INPUT', `${source}: expected an object of { "model": { "input": n, "cachedInput": n, "output": n } }`);
  }
  const table: Record<string, Price> = {};
  for (const [model, entry] of Object.entries(value)) {
    const e = entry as Record<string, unknown>;
    const number = (key: string, fallback?: number): number => {
      const n = e?.[key] ?? fallback;
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
        throw new RlmError('RLM_INPUT', `${source}: "${model}".${key} must be a number of USD per million tokens`);
      }
      return n;
    };
    const input = number('input');
    table[model] = {
      input,
      cachedInput: number('cachedInput', input),
      output: number('output'),
      ...(e?.cacheWrite === undefined ? {} : { cacheWrite: number('cacheWrite') }),
    };
  }
  return table;
}
