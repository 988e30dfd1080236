/**
 * One checker for both kinds of answer schema: a Standard Schema (Zod, Valibot, ArkType...),
 * validated by its own library, or a JSON Schema, validated by Ajv. The loop sees only
 * {@link SchemaCheck}: a text for the prompt, and a validation whose issues a model can act on.
 */
import { RlmError } from '../errors.ts';
import { capIssues, issueLine } from './issue-text.ts';
import { compileJsonSchema, type JsonSchema } from './json-schema.ts';
import type { StandardJSONSchemaV1Converter, StandardSchemaV1 } from './standard-schema.ts';

/**
 * What an answer must match: a Standard Schema (its output, after any transform, is the typed
 * answer) or a JSON Schema.
 *
 * @example
 * ```ts
 * const bySchemaLibrary: AnswerSchema<{ total: number }> = z.object({ total: z.number() });
 * const byJsonSchema: AnswerSchema = { type: 'object', properties: { total: { type: 'number' } } };
 * ```
 */
export type AnswerSchema<T = unknown> = StandardSchemaV1<unknown, T> | JsonSchema;

/** A validation's outcome: the typed value, or the issues as lines for the model. */
export type CheckResult<T> = { ok: true; value: T } | { ok: false; issues: string[] };

/** An answer schema made ready for a run: see {@link schemaCheck}. */
export interface SchemaCheck<T> {
  /**
   * The shape for the system prompt: the JSON Schema as text when one is known, else a note that
   * the schema has no JSON form. At most {@link MAX_DESCRIBE_CHARS} characters.
   */
  describe(): string;
  /** The JSON Schema, when known: given as one, or offered by the Standard Schema's vendor (the schema of its input). */
  readonly jsonSchema: JsonSchema | undefined;
  /**
   * Validates a value. Issues are short lines, `at .items[2].price: expected number, got string
   * "12"`, at most 20 and then `+N more`. A Standard Schema's own validation may throw (a refinement
   * with a bug): that is the schema's error, and it is thrown as is.
   */
  validate(value: unknown): Promise<CheckResult<T>>;
}

/** How long {@link SchemaCheck.describe} may be: a schema past this is cut, with a note. */
export const MAX_DESCRIBE_CHARS = 4_000;

/**
 * Readies an answer schema: detects its kind, compiles a JSON Schema once (refusing an invalid
 * one at once, with the reason) and reads a Standard Schema's JSON form when its vendor offers
 * one. Throws RLM_USAGE for a value that is neither kind of schema.
 *
 * @example
 * ```ts
 * const check = schemaCheck(z.object({ total: z.number() }));
 * const result = await check.validate({ total: 3 }); // { ok: true, value: { total: 3 } }
 * ```
 */
export function schemaCheck<T>(schema: AnswerSchema<T>): SchemaCheck<T> {
  if (isStandardSchema(schema)) return standardCheck(schema as StandardSchemaV1<unknown, T>);
  if (isPlainObject(schema) && '~standard' in schema) {
    throw new RlmError(
      'RLM_USAGE',
      'the answer schema has a "~standard" property but is not a Standard Schema v1 (version 1, with validate)',
    );
  }
  if (typeof schema === 'boolean' || isPlainObject(schema)) return jsonCheck<T>(schema);
  throw new RlmError(
    'RLM_USAGE',
    `the answer schema must be a Standard Schema (Zod, Valibot, ArkType...) or a JSON Schema object; got ${kind(schema)}`,
  );
}

function standardCheck<T>(schema: StandardSchemaV1<unknown, T>): SchemaCheck<T> {
  const standard = schema['~standard'];
  const jsonSchema = jsonFormOf(standard);
  return {
    jsonSchema,
    describe: () =>
      jsonSchema !== undefined
        ? jsonText(jsonSchema)
        : `(The answer's schema, made with ${standard.vendor}, has no JSON Schema form: the value is checked when it is given, and any mismatch is shown.)`,
    async validate(value) {
      const result = await standard.validate(value);
      if (!result.issues) return { ok: true, value: result.value };
      return { ok: false, issues: capIssues(result.issues.map((issue) => issueLine(keysOf(issue.path), issue.message))) };
    },
  };
}

function jsonCheck<T>(schema: JsonSchema): SchemaCheck<T> {
  const validator = compileJsonSchema(schema);
  return {
    jsonSchema: schema,
    describe: () => jsonText(schema),
    // Ajv neither coerces nor fills defaults here: what passes is the value given, unchanged.
    validate: async (value) => {
      const issues = validator(value);
      return issues ? { ok: false, issues } : { ok: true, value: value as T };
    },
  };
}

/**
 * The Standard JSON Schema of the values the schema accepts: its input, since the model writes
 * the input (a transform's output may have no JSON form at all). 2020-12 first, then 07.
 */
function jsonFormOf(standard: StandardSchemaV1.Props): Record<string, unknown> | undefined {
  const converter = (standard as { jsonSchema?: Partial<StandardJSONSchemaV1Converter> }).jsonSchema;
  if (typeof converter?.input !== 'function') return undefined;
  for (const target of ['draft-2020-12', 'draft-07']) {
    try {
      return converter.input({ target });
    } catch {
      // this vendor cannot state this schema for this target: try the next, else say it has none
    }
  }
  return undefined;
}

/** Indented when that fits, else compact, else cut with a note. */
function jsonText(schema: JsonSchema): string {
  const indented = JSON.stringify(schema, null, 2);
  if (indented.length <= MAX_DESCRIBE_CHARS) return indented;
  const compact = JSON.stringify(schema);
  if (compact.length <= MAX_DESCRIBE_CHARS) return compact;
  const note = `\n... (the schema is cut here: ${compact.length} characters in all)`;
  return compact.slice(0, MAX_DESCRIBE_CHARS - note.length) + note;
}

function keysOf(path: StandardSchemaV1.Issue['path']): PropertyKey[] {
  return (path ?? []).map((segment) => (typeof segment === 'object' && segment !== null ? segment.key : segment));
}

/** Zod, Valibot and ArkType schemas; ArkType's are functions. */
function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const standard = (value as Partial<StandardSchemaV1>)['~standard'];
  return typeof standard === 'object' && standard !== null && standard.version === 1 && typeof standard.validate === 'function';
}

/** Only a plain object is taken as a JSON Schema: a class instance is likely a schema library's object of another kind. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `an object of class ${name} without a "~standard" version 1` : 'an object';
  }
  return typeof value === 'function' ? 'a function without a "~standard" version 1' : `a ${typeof value}`;
}
