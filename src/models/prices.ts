/**
 * Prices in USD per million tokens, for costing calls whose provider does not report a cost.
 * Users can pass their own table; a model missing from both is costed as unknown, never as zero.
 */
import type { Usage } from './usage.ts';

export interface Price {
  input: number;
  cachedInput: number;
  output: number;
}

export type PriceTable = Readonly<Record<string, Price>>;

/** List prices of common OpenAI-compatible models (per million tokens). */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  o3: { input: 2, cachedInput: 0.5, output: 8 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
};

/** Finds a price by exact name, then without a provider prefix (`openai/gpt-5`) or date suffix. */
export function findPrice(modelId: string, table: PriceTable = DEFAULT_PRICES): Price | undefined {
  const bare = modelId.includes('/') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId;
  const undated = bare.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  return table[modelId] ?? table[bare] ?? table[undated];
}

export function costOf(usage: Usage, price: Price): number {
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens);
  return (uncached * price.input + usage.cachedInputTokens * price.cachedInput + usage.outputTokens * price.output) / 1e6;
}
