/**
 * Books every call in the run's Budget (checking the limits first) and fills in its cost from a
 * price table when the provider did not report one.
 */
import type { Budget } from '../budget.ts';
import { BudgetExceededError } from '../errors.ts';
import { wrapModel, type Model } from './model.ts';
import { costOf, DEFAULT_PRICES, findPrice, type PriceTable } from './prices.ts';

export interface MeterOptions {
  budget: Budget;
  depth: number;
  prices?: PriceTable;
  /** Book the call without checking the limits: the one last request for a final answer. */
  reserve?: boolean;
  /** Called when a limit refuses a call, before the error is thrown. */
  onExceeded?: (error: BudgetExceededError) => void;
}

export function withMeter(model: Model, options: MeterOptions): Model {
  const prices = { ...DEFAULT_PRICES, ...options.prices };
  return wrapModel(model, (inner) => async (request) => {
    try {
      options.budget.begin({ reserve: options.reserve });
    } catch (error) {
      if (error instanceof BudgetExceededError) options.onExceeded?.(error);
      throw error;
    }
    let booked = false;
    try {
      const result = await inner.generate(request);
      if (result.usage.costUsd === undefined) {
        const price = findPrice(inner.id, prices);
        if (price) result.usage.costUsd = costOf(result.usage, price);
      }
      options.budget.end(inner.id, options.depth, result.usage);
      booked = true;
      return result;
    } finally {
      if (!booked) options.budget.end(inner.id, options.depth, undefined);
    }
  });
}
