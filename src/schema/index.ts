/**
 * Typed answers: a run can require its answer to match a schema, a Standard Schema (Zod, Valibot,
 * ArkType...) or a JSON Schema. {@link schemaCheck} readies the schema once; {@link checkFinal}
 * turns a FINAL's text into the typed value or into issues the model is shown to fix it.
 */
export { checkFinal } from './final.ts';
export { MAX_DESCRIBE_CHARS, schemaCheck, type AnswerSchema, type CheckResult, type SchemaCheck } from './check.ts';
export type { JsonSchema } from './json-schema.ts';
export { schemaInstructions, schemaMismatchMessage } from './prompt-text.ts';
export { readSchemaFile } from './schema-file.ts';
export type { StandardSchemaV1 } from './standard-schema.ts';
