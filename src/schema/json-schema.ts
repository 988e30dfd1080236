/**
 * JSON Schema validation, by Ajv: drafts 2020-12 (the default), 2019-09 and 07, chosen by
 * `$schema`. A schema is checked against its draft's meta-schema first, so that a mistake in it
 * is refused when it is given, with Ajv's reason, rather than failing every answer later.
 *
 * Ajv is loaded on the first JSON Schema (a `require` that costs ~60 ms): a run without one never
 * pays for it.
 */
import { createRequire } from 'node:module';
import type { Ajv, Options as AjvOptions } from 'ajv';
import type { FormatsPlugin } from 'ajv-formats';
import { RlmError } from '../errors.ts';
import { ajvIssues } from './ajv-issues.ts';
import { guardedRegExp } from './safe-pattern.ts';
import { capIssues } from './issue-text.ts';

/**
 * A JSON Schema (draft 2020-12 by default, or the draft its `$schema` names: 2019-09 or 07), as
 * a plain object, or `true` / `false`.
 *
 * @example
 * ```ts
 * const schema: JsonSchema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
 * ```
 */
export type JsonSchema = Record<string, unknown> | boolean;

/** Validates a value: undefined when it matches, else the issues (at most ~20 lines). */
export type JsonValidator = (value: unknown) => string[] | undefined;

type Draft = '2020-12' | '2019-09' | '07';

/** Which draft a `$schema` names, written with or without `https` and the final `#`. */
const DRAFTS: ReadonlyArray<[RegExp, Draft]> = [
  [/^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/, '2020-12'],
  [/^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/, '2019-09'],
  [/^https?:\/\/json-schema\.org\/draft-07\/schema#?$/, '07'],
];

const MODULES: Record<Draft, string> = { '2020-12': 'ajv/dist/2020', '2019-09': 'ajv/dist/2019', '07': 'ajv' };

const require = createRequire(import.meta.url);

type AjvClass = new (options: AjvOptions) => Ajv;

/**
 * Unknown keywords are ignored as the spec says (strict mode would refuse `x-order`), and Ajv
 * writes nothing to the console.
 */
const OPTIONS: AjvOptions = { allErrors: true, strict: false, logger: false };

/**
 * One Ajv per draft that checks schemas against the meta-schema. Compiling a meta-schema takes
 * 20-40 ms, so it is done once per process; this Ajv never holds a user's schema.
 */
const metaCheckers = new Map<Draft, Ajv>();

/** Checks a JSON Schema and compiles it once; throws RLM_USAGE with the reason when it is not valid. */
export function compileJsonSchema(schema: JsonSchema): JsonValidator {
  const { draft, body } = chooseDraft(schema);
  // A fresh Ajv per schema: two schemas with one `$id` would clash in a shared one.
  const ajv = new (ajvClass(draft))({ ...OPTIONS, validateSchema: false, code: { regExp: guardedRegExp } });
  (require('ajv-formats') as { default: FormatsPlugin }).default(ajv);
  let validate;
  try {
    validate = ajv.compile(body);
  } catch (error) {
    throw new RlmError(
      'RLM_USAGE',
      `the answer schema cannot be used (JSON Schema draft ${draft}): ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}`,
      {
        cause: error,
      },
    );
  }
  const check = validate;
  // A schema that refers to itself with nothing in between (`{ "$ref": "#" }`) compiles, then
  // recurses without end on any value: refused now, not after a paid answer.
  for (const probe of [null, {}, []]) {
    try {
      check(probe);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new RlmError('RLM_USAGE', `the answer schema cannot be used (JSON Schema draft ${draft}): it refers to itself without end`);
    }
  }
  return (value) => {
    try {
      return check(value) ? undefined : capIssues(ajvIssues(check.errors ?? [], value));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return ['the value is nested too deeply to check against the schema'];
    }
  };
}

/**
 * The draft and the schema to compile, without its `$schema` (the Ajv of that draft knows its
 * meta-schema under one spelling only). With no `$schema`, 2020-12, unless the schema is valid
 * only as draft 07 (`items: [...]` tuples).
 */
function chooseDraft(schema: JsonSchema): { draft: Draft; body: JsonSchema } {
  if (typeof schema === 'boolean') return { draft: '2020-12', body: schema };
  const { $schema, ...body } = schema;
  if ($schema !== undefined) {
    const draft = DRAFTS.find(([pattern]) => typeof $schema === 'string' && pattern.test($schema))?.[1];
    if (!draft) {
      throw new RlmError(
        'RLM_USAGE',
        `the answer schema's $schema ${JSON.stringify($schema)} is not a draft rlm reads: use draft 2020-12, 2019-09 or 07`,
      );
    }
    refuseInvalid(draft, metaIssues(draft, body));
    return { draft, body };
  }
  const issues = metaIssues('2020-12', body);
  if (issues && !metaIssues('07', body)) return { draft: '07', body };
  refuseInvalid('2020-12', issues);
  return { draft: '2020-12', body };
}

function refuseInvalid(draft: Draft, issues: string[] | undefined): void {
  if (issues) throw new RlmError('RLM_USAGE', `the answer schema is not a valid JSON Schema (draft ${draft}): ${issues.join('; ')}`);
}

/** Why the schema fails its draft's meta-schema, in at most three lines, or undefined when it passes. */
function metaIssues(draft: Draft, schema: JsonSchema): string[] | undefined {
  let checker = metaCheckers.get(draft);
  if (!checker) {
    checker = new (ajvClass(draft))(OPTIONS);
    metaCheckers.set(draft, checker);
  }
  if (checker.validateSchema(schema) === true) return undefined;
  const errors = checker.errors ?? [];
  // "must match a schema in anyOf" says nothing the branches' own errors do not.
  const useful = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  return ajvIssues(useful.length > 0 ? useful : errors, schema).slice(0, 3);
}

function ajvClass(draft: Draft): AjvClass {
  return (require(MODULES[draft]) as { default: AjvClass }).default;
}
