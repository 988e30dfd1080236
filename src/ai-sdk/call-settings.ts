/**
 * The AI SDK call options an RLM can honour, and warnings for those it cannot. A JSON response
 * format becomes the run's answer schema; sampling settings, tools and output caps belong to the
 * RLM's own models and limits, so a call's values for them are reported, never silently dropped.
 */
import type { LanguageModelV4CallOptions, SharedV4Warning } from '@ai-sdk/provider';
import type { JsonSchema } from '../schema/index.ts';

export interface CallSettings {
  /** The answer's JSON Schema, for a call that asked for JSON (`{}`: any JSON value). */
  schema: JsonSchema | undefined;
  warnings: SharedV4Warning[];
}

/** Settings of one model call, where an RLM is a tree of calls with its own settings. */
const PER_CALL = [
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'presencePenalty',
  'frequencyPenalty',
  'seed',
  'stopSequences',
] as const;

export function callSettings(options: LanguageModelV4CallOptions): CallSettings {
  const warnings: SharedV4Warning[] = [];
  for (const name of PER_CALL) {
    if (options[name] !== undefined) {
      warnings.push({ type: 'unsupported', feature: name, details: "an RLM's models and limits are set on the RLM, not per call" });
    }
  }
  if (options.tools !== undefined && options.tools.length > 0) {
    warnings.push({
      type: 'unsupported',
      feature: 'tools',
      details: "an RLM does not call the caller's tools; give functions to the RLM's code with RLMOptions.tools",
    });
  }
  // The AI SDK sends its user-agent with every call; any other header was the caller's.
  const headers = Object.keys(options.headers ?? {}).filter((name) => name.toLowerCase() !== 'user-agent');
  if (headers.length > 0) {
    warnings.push({
      type: 'unsupported',
      feature: 'headers',
      details: `${headers.join(', ')}: the RLM's models send their own headers (createOpenAIModel({ headers }))`,
    });
  }
  if (options.reasoning !== undefined && options.reasoning !== 'provider-default') {
    warnings.push({ type: 'unsupported', feature: 'reasoning', details: "reasoning effort is the RLM's models' own setting" });
  }
  const format = options.responseFormat;
  const schema = format?.type === 'json' ? ((format.schema as JsonSchema | undefined) ?? {}) : undefined;
  return { schema, warnings };
}
