/** `--prices <file.json>`: the user's own prices, per million tokens, for models we have none for. */
import { readFile } from 'node:fs/promises';
import { RlmError } from '../errors.ts';
import { parsePriceTable, type PriceTable } from '../models/prices.ts';

/** Reads a `--prices` file; a missing or malformed one is refused in one line (RLM_INPUT). */
export async function readPrices(path: string): Promise<PriceTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RlmError('RLM_INPUT', `cannot read the prices file ${path}`);
  }
  try {
    return parsePriceTable(JSON.parse(text), path);
  } catch (error) {
    if (RlmError.isInstance(error)) throw error;
    // V8 quotes the text around the mistake, line breaks and all: kept whole, on one line.
    throw new RlmError('RLM_INPUT', `the prices file ${path} is not valid JSON: ${(error as Error).message.replace(/\r?\n/g, '\\n')}`);
  }
}
