/** The RLM behind an adapter: one given ready, or one made from its options. */
import type { PriceTable } from '../models/prices.ts';
import { RLM, type RLMOptions } from '../rlm.ts';

/** An RLM, and the user's prices when they are known, to cost the progress lines as calls end. */
export interface ResolvedRlm {
  rlm: RLM;
  prices: PriceTable | undefined;
}

export function resolveRlm(rlm: RLM | RLMOptions): ResolvedRlm {
  // An RLM keeps its options to itself: its own prices cannot be read back, only the built-in table's.
  return rlm instanceof RLM ? { rlm, prices: undefined } : { rlm: new RLM(rlm), prices: rlm.prices };
}
