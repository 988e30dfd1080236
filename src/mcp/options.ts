/**
 * What an rlm MCP server is made with, over stdio or HTTP alike: where it may read, the corpora
 * it offers, how it gets its models, the settings and limits of every run.
 */
import type { BudgetLimits } from '../budget.ts';
import type { Corpus } from '../inputs/corpus.ts';
import type { Model } from '../models/model.ts';
import type { PriceTable } from '../models/prices.ts';
import type { RLMOptions, RunResult } from '../rlm.ts';
import type { ContextValue, ReplLanguage } from '../sandboxes/index.ts';

/** The models of a run, from a configured endpoint. */
export interface EndpointModels {
  model: Model;
  subModel: Model;
}

/** One ask's run, handed to a {@link McpRunner}. */
export interface McpRun {
  options: RLMOptions;
  context: ContextValue | Corpus;
  query: string;
  signal: AbortSignal;
}

/**
 * Runs an ask's RLM and says where to watch it (a trace file, a page), if anywhere. By default
 * the run is made here; `rlm serve` runs it through its own runs, so that asks over `/mcp` count
 * against the server's cap on runs at once and show in its runs list and web page.
 */
export type McpRunner = (run: McpRun) => Promise<{ result: RunResult; where?: string | undefined }>;

export interface RlmMcpOptions {
  /** The operator's roots (`--root`), absolute; with the client's roots, the folders `ask` may read. */
  roots: readonly string[];
  /**
   * Over a network (`rlm serve`'s `/mcp`) a client is anyone holding the token, and the roots it
   * declares name folders of its own machine, not of this one: then only the operator's roots
   * may be read, and with none, no folder at all (not the working folder). Default false: a
   * local client (stdio) that launched the server declares its own project's folders.
   */
  remote?: boolean | undefined;
  /** Asks run here at once (default 8); more wait for a slot. Not used with a `runner`, which caps its own runs. */
  maxRuns?: number | undefined;
  /** Runs each ask; default: here, with a trace in `traceDir` if set. */
  runner?: McpRunner | undefined;
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
