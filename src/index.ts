/** rlm: Recursive Language Models. The public API. */
export { RLM, type RLMOptions, type RunInput, type RunResult, type Tool } from './rlm.ts';
export { Budget, type BudgetLimits, type BudgetSnapshot, type UsageReport } from './budget.ts';
export { RlmError, ProviderError, BudgetExceededError, CancelledError, type RlmErrorCode } from './errors.ts';
export type { Model, Message, GenerateRequest, GenerateResult, FinishReason } from './models/model.ts';
export { wrapModel } from './models/model.ts';
export { createOpenAIModel, type OpenAIModelOptions } from './models/openai.ts';
export { createAnthropicModel, type AnthropicModelOptions } from './models/anthropic.ts';
export { fromAiSdk, type AiSdkLanguageModel } from './models/ai-sdk.ts';
export { withRetry, type RetryOptions } from './models/retry.ts';
export { Limiter, withLimit } from './models/limiter.ts';
export { MemoStore, withMemo, memoKey, type MemoOptions } from './models/memo.ts';
export { DEFAULT_PRICES, type Price, type PriceTable } from './models/prices.ts';
export type { Usage, UsageTotals } from './models/usage.ts';
export { JsSandbox, type JsSandboxOptions } from './sandboxes/js/js-sandbox.ts';
export type { Sandbox, Bridge, CellResult, ContextValue } from './sandboxes/sandbox.ts';
export { parseReply, type ParsedReply } from './protocol.ts';
export { javascriptSystemPrompt, contextMetadata } from './prompt.ts';
export type { RlmEvent, RunStatus, EventSink } from './trace/events.ts';
