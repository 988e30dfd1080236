/**
 * The one interface every provider implements. Everything generic (retries, the shared
 * concurrency limit, metering) wraps a Model and returns a Model.
 */
import type { Usage } from './usage.ts';

export type Role = 'system' | 'user' | 'assistant';

export interface Message {
  role: Role;
  content: string;
}

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

export type FinishReason = 'stop' | 'length' | 'content-filter' | 'other';

export interface GenerateResult {
  text: string;
  usage: Usage;
  finishReason: FinishReason;
  /** The model id the server says answered (may differ from the one asked for). */
  modelId: string;
}

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
