/**
 * Books every call in the run's Budget. When a token or cost limit is set, a call first reserves
 * the most it can use (see reservation.ts) and is sent with an output cap that keeps it within
 * the limit; a call that does not fit waits for calls in flight to settle, then is sent with a
 * smaller cap or refused. The cost comes from the provider, else from the price table.
 */
import type { Budget, Reservation } from '../budget.ts';
import { BudgetExceededError, RlmError } from '../errors.ts';
import { wrapModel, type GenerateRequest, type Model } from './model.ts';
import { costOf, DEFAULT_PRICES, findPrice, type Price, type PriceTable } from './prices.ts';
import { affordableOutput, DEFAULT_OUTPUT_CAP, MIN_OUTPUT_CAP, RequestSizer, reservedCost } from './reservation.ts';
import type { Usage } from './usage.ts';

export interface MeterOptions {
  budget: Budget;
  depth: number;
  prices?: PriceTable | undefined;
  /** The last request for a final answer: it may use what the budget holds back for it. */
  final?: boolean;
  /** Bounds requests by what earlier requests of the same conversation were counted at. */
  sizer?: RequestSizer;
  /** Which conversations of a run this model's calls belong to ('root' turns, 'sub' calls). */
  kind?: string;
  /** Called when a limit refuses a call, before the error is thrown. */
  onExceeded?: (error: BudgetExceededError) => void;
}

export function withMeter(model: Model, options: MeterOptions): Model {
  const prices = { ...DEFAULT_PRICES, ...options.prices };
  const sizer = options.sizer ?? new RequestSizer();
  return wrapModel(model, (inner) => async (request) => {
    const price = findPrice(inner.id, prices);
    const conversation = request.trace ? `${request.trace.runId}:${options.kind ?? ''}` : undefined;
    let admitted: Admitted;
    try {
      admitted = await admit(options, request, { modelId: inner.id, price, inputTokens: () => sizer.inputBound(request, conversation) });
    } catch (error) {
      if (BudgetExceededError.isInstance(error)) options.onExceeded?.(error);
      throw error;
    }
    let booked = false;
    try {
      const result = await inner.generate(admitted.request);
      const usage = result.usage.estimated
        ? boundedUsage(admitted, admitted.inputTokens ?? sizer.inputBound(request, conversation), result.text)
        : result.usage;
      if (usage.costUsd === undefined && price) usage.costUsd = costOf(usage, price);
      result.usage = usage;
      sizer.record(admitted.request, conversation, usage);
      options.budget.end(inner.id, options.depth, usage, admitted.reservation);
      booked = true;
      return result;
    } finally {
      if (!booked) options.budget.end(inner.id, options.depth, undefined, admitted.reservation);
    }
  });
}

interface Admitted {
  request: GenerateRequest;
  reservation: Reservation;
  /** The input bound, when one was reserved. */
  inputTokens?: number;
  price: Price | undefined;
}

async function admit(
  options: MeterOptions,
  request: GenerateRequest,
  call: { modelId: string; price: Price | undefined; inputTokens: () => number },
): Promise<Admitted> {
  const { budget, final } = options;
  const { price } = call;
  if (!budget.reserves) return { request, reservation: budget.begin(undefined, { final }), price };
  if (budget.limits.maxCostUsd !== undefined && !price) {
    throw new RlmError(
      'RLM_USAGE',
      `a cost limit needs a known price, and "${call.modelId}" has none; give its prices per million tokens (--prices, or the \`prices\` option)`,
    );
  }
  const inputTokens = call.inputTokens();
  const wanted = request.maxOutputTokens ?? DEFAULT_OUTPUT_CAP;
  const reserve = (cap: number) => {
    const reservation = budget.begin({ tokens: inputTokens + cap, costUsd: reservedCost(inputTokens, cap, price) }, { final });
    return { request: { ...request, maxOutputTokens: cap }, reservation, inputTokens, price };
  };
  for (;;) {
    request.signal?.throwIfAborted();
    budget.throwIfClosed(final);
    const fits = affordableOutput(budget.headroom({ final }), inputTokens, price);
    if (fits >= wanted) return reserve(wanted);
    // What calls in flight reserved comes back when they settle (they use no more than that).
    const once = affordableOutput(budget.headroom({ final, alone: true }), inputTokens, price);
    if (budget.inFlight > 0 && once > fits) {
      await budget.settled(request.signal);
      continue;
    }
    // The limit is near: a smaller cap still fits, or the call is refused (begin says which limit).
    return reserve(fits >= Math.min(wanted, MIN_OUTPUT_CAP) ? fits : wanted);
  }
}

/** A call the provider reported no usage for is booked at the most it could have used. */
function boundedUsage(admitted: Admitted, inputTokens: number, text: string): Usage {
  const outputTokens = admitted.request.maxOutputTokens ?? Buffer.byteLength(text, 'utf8');
  return {
    inputTokens,
    cachedInputTokens: 0,
    outputTokens,
    estimated: true,
    ...(admitted.price ? { costUsd: reservedCost(inputTokens, outputTokens, admitted.price) } : {}),
  };
}
