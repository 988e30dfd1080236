/**
 * The one interface every provider implements. Everything generic (retries, the shared
 * concurrency limit, metering) wraps a Model and returns a Model.
 */
import type { Usage } from './usage.ts';

export type Role = 'system' | 'user' | 'assistant';

/** One message of a conversation with a model. */
export interface Message {
  role: Role;
  content: string;
}

/** One request to a model: the conversation, and how to answer it. */
export interface GenerateRequest {
  messages: readonly Message[];
  maxOutputTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
  /**
   * Where the request belongs, for events and traces only (providers ignore it): the RLM that
   * makes it, and how many of its messages earlier calls of the conversation already carried.
   */
  trace?: { runId: string; from: number };
}

/** Why the model stopped: it was done, it reached the output cap, a filter stopped it, or another reason. */
export type FinishReason = 'stop' | 'length' | 'content-filter' | 'other';

/** A model's reply, with what it used. */
export interface GenerateResult {
  text: string;
  usage: Usage;
  finishReason: FinishReason;
  /** The model id the server says answered (may differ from the one asked for). */
  modelId: string;
  /** Served from the trace of an earlier attempt of a resumed run: paid for then, not asked again. */
  recorded?: boolean;
}

/**
 * A language model, as rlm calls it: every provider implements this, and every layer (retry,
 * limit, meter, memo) wraps a Model and is one. Implement it to bring a provider of your own.
 */
export interface Model {
  /** The model's name as the provider knows it, e.g. `gpt-5-mini`. */
  readonly id: string;
  /** Where requests go, for error messages. */
  readonly url: string;
  generate(request: GenerateRequest): Promise<GenerateResult>;
  /** The same provider and settings with another model name (for `llm_query(p, { model })`). */
  withId(id: string): Model;
}

/** Wraps a model, keeping its identity and letting `withId` wrap the new model the same way. */
export function wrapModel(model: Model, wrap: (inner: Model) => Model['generate']): Model {
  return {
    id: model.id,
    url: model.url,
    generate: wrap(model),
    withId: (id) => wrapModel(model.withId(id), wrap),
  };
}
