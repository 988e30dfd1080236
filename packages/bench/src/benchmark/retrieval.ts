/**
 * `retrieval`: the usual RAG baseline. The context is cut into passages, BM25 (through
 * MiniSearch, with plain BM25 weights) ranks them against the query, and the base model answers
 * from the best `topK` that fit its window, shown in their order in the context.
 */
import MiniSearch from 'minisearch';
import { contextWindowOf } from 'rlm';
import { CHARS_PER_TOKEN, type TaskInstance } from '../tasks/task.ts';
import { RESERVE_TOKENS, runBaseline } from './baseline.ts';
import { chunkText, type TextChunk } from './chunks.ts';
import type { MethodOutcome, MethodSetup } from './methods.ts';

export const RETRIEVAL_PROMPT_START = 'Answer the query from the passages below';
/** `retrieval`'s passage size in tokens and the most passages it shows, unless told otherwise. */
export const RETRIEVAL_DEFAULTS = { chunkTokens: 1_000, topK: 20 };

/** The passages that best match `query` by BM25, best first. */
export function rankPassages(chunks: readonly TextChunk[], query: string, topK: number): TextChunk[] {
  const tokenize = MiniSearch.getDefault('tokenize') as (text: string) => string[];
  const queryTerms = new Set(tokenize(query).map((term) => term.toLowerCase()));
  // Only the query's terms are indexed: BM25 needs no other term's postings. MiniSearch measures
  // a passage's length before this filter, so the scores are those of a full index, built in a
  // fraction of the time and memory over millions of tokens.
  const index = new MiniSearch<TextChunk>({
    idField: 'index',
    fields: ['text'],
    storeFields: [],
    processTerm: (term) => {
      const lower = term.toLowerCase();
      return queryTerms.has(lower) ? lower : null;
    },
    searchOptions: { processTerm: (term) => term.toLowerCase() },
  });
  index.addAll(chunks);
  // d = 0 turns MiniSearch's BM25+ into plain BM25; k and b are the usual values.
  const hits = index.search(query, { combineWith: 'OR', bm25: { k: 1.2, b: 0.75, d: 0 } });
  return hits.slice(0, topK).map((hit) => chunks[hit.id as number]!);
}

export function runRetrieval(task: TaskInstance, setup: MethodSetup): Promise<MethodOutcome> {
  return runBaseline(
    task,
    setup,
    async ({ ask, note }) => {
      const { chunkTokens, topK } = { ...RETRIEVAL_DEFAULTS, ...setup.retrieval };
      const window = setup.windowTokens ?? contextWindowOf(setup.model.id);
      const chunks = chunkText(task.context, chunkTokens * CHARS_PER_TOKEN);
      const fits = Math.max(1, Math.floor((window - RESERVE_TOKENS) / chunkTokens));
      const chosen = rankPassages(chunks, task.query, Math.min(topK, fits)).sort((a, b) => a.index - b.index);
      note({ retrieved: { passages: chosen.length, of: chunks.length } });
      const shown = chosen
        .map(
          (chunk) =>
            `[Passage ${chunk.index + 1} of ${chunks.length}, characters ${chunk.start.toLocaleString('en-US')} to ${(chunk.start + chunk.text.length).toLocaleString('en-US')}]\n${chunk.text}`,
        )
        .join('\n\n');
      return ask(
        `${RETRIEVAL_PROMPT_START}: the ${chosen.length} of the context's ${chunks.length} passages that best match the query (BM25), in their order in the context.\n\n${shown || '(no passage matched the query)'}\n\nQuery: ${task.query}`,
      );
    },
    'retrieval',
  );
}
