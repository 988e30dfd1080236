/** `--schema <file.json>`: the answer's JSON Schema, from a file. */
import { readFile, stat } from 'node:fs/promises';
import { RlmError } from '../errors.ts';
import { schemaCheck } from './check.ts';
import type { JsonSchema } from './json-schema.ts';

/** The largest schema file read. */
const MAX_SCHEMA_FILE_BYTES = 1024 * 1024;

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
    // A schema is a page or two; a file of megabytes is a mistake, and would take a minute to check.
    if ((await stat(path)).size > MAX_SCHEMA_FILE_BYTES) {
      throw new RlmError('RLM_INPUT', `the schema file ${path} is over 1 MiB: is it the schema?`);
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (RlmError.isInstance(error)) throw error;
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
