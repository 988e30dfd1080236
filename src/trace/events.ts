/**
 * What a run reports as it goes. Every surface (progress line, trace file, tests) is a sink
 * that receives these; the loop never formats anything for a terminal.
 */
import type { Message } from '../models/model.ts';
import type { Usage } from '../models/usage.ts';
import type { UsageReport } from '../budget.ts';
import type { RunStatus } from '../run-status.ts';
import type { ContextValue, ReplLanguage } from '../sandboxes/index.ts';
import type { JsonSchema } from '../schema/index.ts';

export type { RunStatus };
/** Whose call it is: an RLM's own turn (`root`), or a sub-call made from its code (`sub`). */
export type CallKind = 'root' | 'sub';

/**
 * Every event of a node of the recursion tree carries its `runId` ('r0' is the root); a child's
 * `run-start` names its parent. Model calls carry the `runId` of the RLM that made them: its own
 * turns (kind `root`) or sub-calls from its cells (kind `sub`).
 */
export type RlmEvent =
  | {
      type: 'run-start';
      runId: string;
      parentRunId?: string;
      depth: number;
      query: string;
      contextChars: number;
      model: string;
      subModel: string;
      /** Root only: what a replay needs to run the same way. */
      settings?: RunSettings;
      /** The JSON Schema the answer must match, when the run has one with a JSON form. */
      schema?: JsonSchema;
      /**
       * Set when the run is not an RLM but one of `rlm bench`'s fixed pipelines: the baseline's
       * name (`direct`, `summary`, `retrieval`). Such a trace can be viewed, not replayed.
       */
      method?: string;
    }
  | { type: 'turn-start'; runId: string; depth: number; iteration: number }
  | {
      type: 'model-call-start';
      callId: number;
      runId?: string;
      depth: number;
      kind: CallKind;
      model: string;
      /** The messages new since this conversation's previous call, from index `from`. */
      messages?: Message[];
      from?: number;
      /** Requests of the run waiting for a free slot of the limiter at this moment. */
      queued?: number;
    }
  | {
      type: 'model-call-end';
      callId: number;
      runId?: string;
      depth: number;
      kind: CallKind;
      model: string;
      durationMs: number;
      usage?: Usage;
      /** The reply. */
      text?: string;
      /** Identifies the request (model and all its messages), for replay. */
      key?: string;
      /** The reply came from the trace of an earlier attempt (a resumed run), not from the provider. */
      recorded?: boolean;
      error?: string | undefined;
      /** Requests of the run waiting for a free slot of the limiter at this moment. */
      queued?: number;
    }
  | {
      /** A call of one of the user's tools from model code, with what it returned (for replay). */
      type: 'tool-call';
      /** The call's place in the order model code made the tree's tool calls (events come as calls end). */
      seq?: number;
      runId: string;
      depth: number;
      name: string;
      /** The arguments as JSON data, as they crossed from the REPL. */
      args: unknown[];
      /** What the tool returned, as JSON data; absent when it threw. */
      result?: unknown;
      error?: string | undefined;
      durationMs: number;
    }
  | { type: 'retry'; model: string; attempt: number; delayMs: number; reason: string }
  | {
      /** A context added to a session (`context_1`...), kept whole so that the session can be reopened. */
      type: 'context-added';
      name: string;
      context: ContextValue;
    }
  | { type: 'limit'; limit: string; reason: string }
  | { type: 'compaction'; runId: string; depth: number; iteration: number; summaryChars: number }
  | { type: 'cell-start'; runId: string; depth: number; iteration: number; index: number; code: string }
  | {
      type: 'cell-end';
      runId: string;
      depth: number;
      iteration: number;
      index: number;
      output: string;
      error?: string | undefined;
      restarted: boolean;
      durationMs: number;
    }
  | {
      type: 'run-end';
      runId: string;
      depth: number;
      status: RunStatus;
      answer?: string | undefined;
      iterations: number;
      durationMs: number;
      usage: UsageReport;
    };

/** Receives a run's events as they happen; it must not throw. */
export type EventSink = (event: RlmEvent) => void;

/**
 * The settings of a run that decide what it does (its resolved config, see config.ts), recorded so
 * that a replay runs with the same values. Fields marked optional are absent in older traces.
 */
export interface RunSettings {
  /** The REPL's language (absent in traces from before Python was offered: JavaScript). */
  repl?: ReplLanguage;
  maxIterations: number;
  maxDepth: number;
  maxOutputChars: number;
  cellTimeoutMs: number;
  memoryLimitMb?: number;
  concurrency?: number;
  maxConcurrentChildren?: number;
  /** The model id used at each depth. */
  models: string[];
  compactAt: number;
  contextWindow?: number;
  maxOutputTokens?: number;
  limits?: { maxCalls?: number; maxTokens?: number; maxCostUsd?: number; timeoutMs?: number };
  /** The user's tools, as the system prompt lists them (their results are in `tool-call` events). */
  tools?: Array<{ name: string; description: string }>;
  /** A system prompt that replaced the built-in one. */
  systemPrompt?: string;
}
