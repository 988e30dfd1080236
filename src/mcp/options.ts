/**
 * What an rlm MCP server is made with, over stdio or HTTP alike: where it may read, the corpora
 * it offers, how it gets its models, the settings and limits of every run.
 */
import type { BudgetLimits } from '../budget.ts';
import type { Model } from '../models/model.ts';
import type { PriceTable } from '../models/prices.ts';
import type { ReplLanguage } from '../sandboxes/index.ts';

/** The models of a run, from a configured endpoint. */
export interface EndpointModels {
  model: Model;
  subModel: Model;
}

export interface RlmMcpOptions {
  /** The operator's roots (`--root`), absolute; with the client's roots, the folders `ask` may read. */
  roots: readonly string[];
  /** Named corpora (`--corpus name=path`), absolute paths: always readable, whatever the roots. */
  corpora: Readonly<Record<string, string>>;
  /** The folder the server runs in: the root when neither the client nor the operator names one. */
  cwd: string;
  /**
   * The configured endpoint's models. Throws `RlmError('RLM_MISSING_KEY')` when there is none (no
   * key, no base URL, no local server): then a client that can sample serves the run.
   */
  models: () => Promise<EndpointModels>;
  /** A model name to hint to a sampling client (`--model`). */
  modelHint?: string | undefined;
  /** The settings of every run. */
  run: {
    repl?: ReplLanguage | undefined;
    maxIterations?: number | undefined;
    maxDepth?: number | undefined;
    maxOutputChars?: number | undefined;
    cellTimeoutMs?: number | undefined;
    memoryLimitMb?: number | undefined;
    concurrency?: number | undefined;
    prices?: PriceTable | undefined;
  };
  /** The server's own limits on every run; a call may lower them, never raise them. */
  limits: BudgetLimits;
  /** Write one JSONL trace per ask into this folder. */
  traceDir?: string | undefined;
  /** One line of the server's log (stderr; never stdout, which is the protocol over stdio). */
  log: (line: string) => void;
}
