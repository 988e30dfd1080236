/**
 * What an RLM is made with: the models, the REPL, the limits and the user's tools. Every field
 * but `model` has a default, applied in one place (config.ts).
 */
import type { BudgetLimits } from './budget.ts';
import type { MemoStore } from './models/memo.ts';
import type { Model } from './models/model.ts';
import type { PriceTable } from './models/prices.ts';
import type { RetryOptions } from './models/retry.ts';
import type { ReplLanguage } from './sandboxes/index.ts';
import type { EventSink } from './trace/events.ts';

/** How an RLM is set up; every field but `model` has a default (see config.ts). */
export interface RLMOptions {
  /** The root model, which writes the code. */
  model: Model;
  /** The model for `llm_query` sub-calls and child RLMs (default: the root model). */
  subModel?: Model | undefined;
  /**
   * A model per depth, overriding `model` (depth 0) and `subModel` (deeper): index 2 is used by
   * the RLMs at depth 2 and by the plain sub-calls made from depth 1.
   */
  modelsByDepth?: readonly (Model | undefined)[];
  /** Turns before the model is asked once more for a final answer (default 30). */
  maxIterations?: number | undefined;
  /** Characters of each code block's output shown to the model (default 20,000). */
  maxOutputChars?: number | undefined;
  /** Time limit per cell in ms, time spent awaiting included (default 60,000). */
  cellTimeoutMs?: number | undefined;
  /** Memory cap of the REPL in MiB (default 1,024). */
  memoryLimitMb?: number | undefined;
  /**
   * The REPL's language (default 'javascript'). 'python' is the paper's: CPython on Pyodide, offline,
   * where `llm_query` blocks and `llm_query_batched` runs its prompts concurrently.
   */
  repl?: ReplLanguage | undefined;
  /** Model requests in flight at once, over the whole run (default 16). */
  concurrency?: number | undefined;
  /** Child RLMs running at once at each depth (default 8); each holds a REPL process. */
  maxConcurrentChildren?: number | undefined;
  /**
   * Recursion depth. At 1 (the paper's setting, the default) `rlm_query` is a plain model call;
   * at 2 and more it starts a child RLM, down to that many levels; at 0 there are no sub-calls
   * at all: the model has only the REPL (the paper's "RLM without sub-calls").
   */
  maxDepth?: number | undefined;
  /** Limits on the whole run: calls, tokens, cost, wall time. */
  limits?: BudgetLimits | undefined;
  /** Prices for models the built-in table does not know (USD per million tokens). */
  prices?: PriceTable | undefined;
  retry?: RetryOptions | undefined;
  /** Replaces the built-in system prompt. */
  systemPrompt?: string | undefined;
  /** Output token cap for the root model's replies. */
  maxOutputTokens?: number | undefined;
  /**
   * When an RLM's conversation nears this share of its model's window (default 0.8), the model
   * summarises its progress and the conversation restarts from that summary; the whole of it
   * stays readable in the REPL as `history`.
   */
  compactAt?: number | undefined;
  /** The root model's context window in tokens, if the built-in table does not know it. */
  contextWindow?: number | undefined;
  /** Receives every event of the run. */
  onEvent?: EventSink | undefined;
  /**
   * A memo of sub-calls that lasts across runs (see `MemoStore`): identical requests are
   * answered from disk. Requests with temperature > 0 only with `includeSampled`.
   */
  memo?: { store: MemoStore; includeSampled?: boolean } | undefined;
  /**
   * Your own async functions, callable from the REPL by name (`await search('x')`) at every
   * level. Arguments and results cross as JSON data; the description goes into the system prompt.
   */
  tools?: Record<string, Tool> | undefined;
}

/** A function of yours that model code can call by name from the REPL, at every level of the tree. */
export interface Tool {
  /** What it does and how to call it, for the model: `search(query: string) -> top 5 passages`. */
  description: string;
  run: (...args: any[]) => unknown;
}
