/** A flag whose value is a number of tokens: `8000`, `8k`, `1m`. */
import { usageError } from 'rlm/cli-kit';
import { parseTokens } from '../tasks/task.ts';

export function tokens(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  try {
    return parseTokens(raw);
  } catch (error) {
    throw usageError(`${flag}: ${(error as Error).message}`);
  }
}
