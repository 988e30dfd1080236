import type { ContextValue } from '../sandboxes/index.ts';
import type { Corpus } from './corpus.ts';

/** A corpus, told from a JSON context by its methods (JSON data has none), without loading the corpus code. */
export function isCorpus(value: ContextValue | Corpus): value is Corpus {
  const candidate = value as Partial<Corpus> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.read === 'function' &&
    typeof candidate.contextValue === 'function'
  );
}
