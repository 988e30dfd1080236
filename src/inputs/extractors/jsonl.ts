/** JSON Lines: one value per non-empty line; a bad line is named by its number. */
import type { JsonValue } from '../../sandboxes/index.ts';
import { ExtractError } from './extract-error.ts';

export function parseJsonl(text: string): JsonValue[] {
  const records: JsonValue[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as JsonValue);
    } catch (error) {
      throw new ExtractError(`line ${i + 1} is not valid JSON (${(error as Error).message})`, { cause: error });
    }
  }
  return records;
}
