/** Running an async function over many items with a bounded number at once, results in order. */
import { throwIfAborted } from '../errors.ts';

/**
 * `fn` applied to every item, at most `limit` at a time, results in the items' order. The first
 * failure rejects the whole (the calls under way are let finish; no new one starts).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      throwIfAborted(signal);
      const index = next++;
      try {
        results[index] = await fn(items[index]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
