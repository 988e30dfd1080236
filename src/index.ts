/** rlm: Recursive Language Models. The public API. */
export { RLM, type RLMOptions, type RunInput, type RunResult, type Tool } from './rlm.ts';
export type { ResumeOptions } from './resume.ts';
export { RlmSession, type SessionQuestion } from './session.ts';
export {
  loadCorpus,
  isCorpusSource,
  Corpus,
  type CorpusOptions,
  type CorpusOrigin,
  type DocumentInfo,
  type DocumentKind,
  type LoadedDocument,
  type SkippedFile,
} from './inputs/index.ts';
export {
  schemaCheck,
  readSchemaFile,
  type AnswerSchema,
  type JsonSchema,
  type SchemaCheck,
  type StandardSchemaV1,
} from './schema/index.ts';
export { Budget, type BudgetLimits, type BudgetSnapshot, type UsageReport } from './budget.ts';
export { RlmError, ProviderError, BudgetExceededError, CancelledError, type RlmErrorCode, type LimitKind } from './errors.ts';
export { statusOf } from './run-status.ts';
export type { Model, Message, GenerateRequest, GenerateResult, FinishReason } from './models/model.ts';
export { wrapModel } from './models/model.ts';
export { createOpenAIModel, type OpenAIModelOptions } from './models/openai.ts';
export { createAnthropicModel, type AnthropicModelOptions } from './models/anthropic.ts';
export { fromAiSdk, type AiSdkLanguageModel } from './models/ai-sdk.ts';
export { withRetry, type RetryOptions } from './models/retry.ts';
export { composeModel, type ModelLayers } from './models/compose.ts';
export { Limiter, withLimit } from './models/limiter.ts';
export { MemoStore, withMemo, memoKey, type MemoOptions } from './models/memo.ts';
export { DEFAULT_PRICES, type Price, type PriceTable } from './models/prices.ts';
export { findPrice, refuseUnpricedCostLimit } from './models/prices.ts';
export { contextWindowOf, knownContextWindow, DEFAULT_WINDOW } from './models/windows.ts';
export type { Usage, UsageTotals } from './models/usage.ts';
export { JsSandbox, type JsSandboxOptions } from './sandboxes/index.ts';
export { PythonSandbox, type PythonSandboxOptions } from './sandboxes/host/python-sandbox.ts';
export type { Sandbox, SandboxOptions, ReplLanguage, Bridge, CellResult, ContextValue, JsonValue } from './sandboxes/index.ts';
export { processWall } from './sandboxes/index.ts';
export { parseReply, type ParsedReply } from './protocol.ts';
export { javascriptSystemPrompt, pythonSystemPrompt, systemPrompt, contextMetadata } from './prompt.ts';
export type { RlmEvent, RunStatus, EventSink, RunSettings } from './trace/events.ts';
export type { CallKind } from './trace/events.ts';
export { JsonlTrace, type JsonlTraceOptions, type TraceHeader } from './trace/jsonl.ts';
export { readTrace, replayTrace, replayModels, type Trace, type ReplayOptions, type ReplayResult } from './trace/replay.ts';
