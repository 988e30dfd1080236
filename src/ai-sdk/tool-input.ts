/**
 * The input schema of {@link rlmTool}: a Standard Schema (validated here, in plain code) that also
 * states itself as JSON Schema, the form the AI SDK accepts from any library, so that the tool
 * needs nothing of the AI SDK at run time.
 */
import type { StandardJSONSchemaV1Converter, StandardSchemaV1 } from '../schema/standard-schema.ts';

/** What the agent passes: the question, and the large input unless the tool has a fixed context. */
export interface RlmToolInput {
  /** A self-contained question about the context. */
  query: string;
  /** The large input to answer over (absent for a tool made over a fixed context). */
  context?: string;
}

/** A Standard Schema with its JSON Schema, as the AI SDK's `inputSchema` takes one. */
export type RlmToolInputSchema = StandardSchemaV1<unknown, RlmToolInput> & {
  readonly '~standard': StandardSchemaV1.Props<unknown, RlmToolInput> & { readonly jsonSchema: StandardJSONSchemaV1Converter };
};

const QUERY = {
  type: 'string',
  minLength: 1,
  description: 'A self-contained question about the context, with everything needed to answer it.',
};
const CONTEXT = {
  type: 'string',
  description:
    'The whole large input, verbatim (a document, logs, records, code): it is read by code, so it may be far longer than you could read.',
};

export function toolInputSchema(takesContext: boolean): RlmToolInputSchema {
  const jsonSchema = {
    type: 'object',
    properties: takesContext ? { query: QUERY, context: CONTEXT } : { query: QUERY },
    required: takesContext ? ['query', 'context'] : ['query'],
    additionalProperties: false,
  };
  return {
    '~standard': {
      version: 1,
      vendor: 'rlm',
      validate: (value) => validate(value, takesContext),
      jsonSchema: { input: () => jsonSchema, output: () => jsonSchema },
    },
  };
}

function validate(value: unknown, takesContext: boolean): StandardSchemaV1.Result<RlmToolInput> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected an object with a `query`');
  const { query, context, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return fail(`unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, unknown[0]);
  if (typeof query !== 'string' || query.trim() === '') return fail('`query` must be a non-empty string', 'query');
  if (!takesContext) {
    if (context !== undefined) return fail('this tool has its own context: pass only `query`', 'context');
    return { value: { query } };
  }
  if (typeof context !== 'string') return fail('`context` must be a string: the large input to answer over', 'context');
  return { value: { query, context } };
}

function fail(message: string, key?: string): StandardSchemaV1.FailureResult {
  return { issues: [{ message, ...(key === undefined ? {} : { path: [key] }) }] };
}
