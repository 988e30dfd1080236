/** `--schema <file.json>`: the answer's JSON Schema, from a file. */
import { readFile } from 'node:fs/promises';
import { RlmError } from '../errors.ts';
import { schemaCheck } from './check.ts';
import type { JsonSchema } from './json-schema.ts';

/**
 * Reads a JSON Schema file. A missing file, text that is not JSON, or JSON that is not a valid
 * JSON Schema is refused in one line naming the file (RLM_INPUT).
 *
 * @example
 * ```ts
 * const check = schemaCheck(await readSchemaFile('answer.schema.json'));
 * ```
 */
export async function readSchemaFile(path: string): Promise<JsonSchema> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RlmError('RLM_INPUT', `cannot read the schema file ${path}`);
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the mistake, line breaks and all: kept whole, on one line.
    throw new RlmError('RLM_INPUT', `the schema file ${path} is not valid JSON: ${(error as Error).message.replace(/\r?\n/g, '\\n')}`);
  }
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw new RlmError(
      'RLM_INPUT',
      `the schema file ${path} is not a JSON Schema: it holds ${Array.isArray(schema) ? 'an array' : String(schema === null ? 'null' : typeof schema)}, not an object`,
    );
  }
  try {
    // Checked here so that a mistake is reported against the file, before any run starts.
    schemaCheck(schema as JsonSchema);
  } catch (error) {
    if (!RlmError.isInstance(error)) throw error;
    throw new RlmError('RLM_INPUT', error.message.replace(/^the answer schema/, `the schema file ${path}`), { cause: error });
  }
  return schema as JsonSchema;
}
