/**
 * A rough cost estimate for a benchmark, printed before it starts: the RLM reads its context
 * about once through sub-calls, plus the root's turns; `direct` reads what fits its window; the
 * REPL alone only the root's turns; `summary` reads it all once with the sub-model, writing notes
 * as it goes; `retrieval` reads its top passages. Real runs can differ several-fold either way.
 */
import { DEFAULT_PRICES, findPrice, type PriceTable } from 'rlm';
import type { MethodName } from './methods.ts';

/** Tokens a root model reads over a typical run of about ten turns. */
const ROOT_TOKENS = 60_000;
const OUTPUT_TOKENS = { rlm: 8_000, 'rlm-no-subcalls': 6_000, direct: 500, retrieval: 500 } as const;
/** Notes written per part read by `summary`, and the tokens of passages `retrieval` shows. */
const NOTES_TOKENS = 2_000;
const RETRIEVED_TOKENS = 20_000;

/** What a bench is expected to read and write, and cost, before it runs. */
export interface BenchEstimate {
  inputTokens: number;
  outputTokens: number;
  /** Undefined when a model has no known price. */
  costUsd: number | undefined;
}

/** A rough estimate of a bench's tokens and cost, from each method's usual reading of each context; for the plan `rlm bench run` prints. */
export function estimateBench(input: {
  /** Each instance's context in tokens (a codeqa context is at most its code base). */
  contexts: Iterable<number>;
  methods: readonly MethodName[];
  model: string;
  subModel: string;
  windowTokens: number;
  prices?: PriceTable;
}): BenchEstimate {
  const table = { ...DEFAULT_PRICES, ...input.prices };
  const [root, sub] = [findPrice(input.model, table), findPrice(input.subModel, table)];
  let inputTokens = 0;
  let outputTokens = 0;
  let cost: number | undefined = 0;
  const add = (tokensIn: number, tokensOut: number, price: ReturnType<typeof findPrice>) => {
    inputTokens += tokensIn;
    outputTokens += tokensOut;
    cost = price && cost !== undefined ? cost + (tokensIn * price.input + tokensOut * price.output) / 1e6 : undefined;
  };
  for (const size of input.contexts) {
    for (const method of input.methods) {
      const fits = Math.min(size, input.windowTokens);
      if (method === 'direct') add(fits, OUTPUT_TOKENS.direct, root);
      else if (method === 'retrieval') add(Math.min(fits, RETRIEVED_TOKENS), OUTPUT_TOKENS.retrieval, root);
      else if (method === 'summary') {
        const parts = Math.ceil(size / input.windowTokens);
        if (parts > 1) add(size + parts * NOTES_TOKENS, parts * NOTES_TOKENS, sub);
        add(parts > 1 ? NOTES_TOKENS : fits, OUTPUT_TOKENS.direct, root);
      } else add(ROOT_TOKENS, OUTPUT_TOKENS[method], root);
      if (method === 'rlm') add(size, size / 50, sub);
    }
  }
  return { inputTokens, outputTokens, costUsd: cost };
}
