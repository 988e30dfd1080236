/**
 * rlm and the Vercel AI SDK, the other way round from `fromAiSdk`: an RLM as an AI SDK language
 * model ({@link rlmModel}) and as a tool any AI SDK agent can call over a large input
 * ({@link rlmTool}). The AI SDK (`ai` 7, `@ai-sdk/provider` 4) is the caller's; nothing of it is
 * imported at run time.
 */
export { rlmModel, type RlmModelOptions } from './rlm-model.ts';
export { rlmTool, type RlmTool, type RlmToolOptions, type RlmToolOutput } from './rlm-tool.ts';
export type { RlmToolInput, RlmToolInputSchema } from './tool-input.ts';
export { NoAnswerError } from './no-answer-error.ts';
