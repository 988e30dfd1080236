/**
 * A benchmark task instance: a context, a query, and the ground truth to score an answer against.
 * Generators are deterministic by seed and sized by target tokens (about 4 characters a token).
 */

export type TaskFamily = 'sniah' | 'oolong' | 'oolong-pairs' | 'browsecomp' | 'codeqa';

/**
 * How an answer is scored: `exact` after normalisation, `numeric` as 0.75^|error|, `pairs` as F1,
 * `contains` when the answer must include the truth, `choice` when it must pick the right letter
 * of a multiple-choice question.
 */
export type ScoreKind = (typeof SCORE_KINDS)[number];
/** Every {@link ScoreKind}. */
export const SCORE_KINDS = ['exact', 'numeric', 'pairs', 'contains', 'choice'] as const;

/** One task: its context and query, the truth, and how an answer is scored; as `rlm bench export` writes it. */
export interface TaskInstance {
  /** Stable id: family, size, index and seed. */
  id: string;
  family: TaskFamily;
  /** The size asked for, in tokens. */
  targetTokens: number;
  seed: number;
  query: string;
  context: string;
  /** The ground truth, as text (pairs as `(a, b)` lines, numbers in decimal). */
  answer: string;
  score: ScoreKind;
  /** For `exact` answers from a fixed set (labels, comparisons): the set. */
  options?: string[];
}

/** Characters per token for sizing: the usual estimate for English text and records. */
export const CHARS_PER_TOKEN = 4;

/** Parses sizes like `8k`, `131k`, `1m`, `10M`, `32000` into token counts. */
export function parseTokens(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.trim());
  if (!match) throw new Error(`a size must look like 8k, 1m or 32000, got '${text}'`);
  const value = Number(match[1]) * (match[2] === '' ? 1 : match[2]!.toLowerCase() === 'k' ? 1_000 : 1_000_000);
  if (!Number.isFinite(value) || value < 1_000) throw new Error(`a size must be at least 1k tokens, got '${text}'`);
  return Math.round(value);
}

/** A size for ids and tables: 8k, 131k, 1m. */
export function formatTokens(tokens: number): string {
  if (tokens >= 1_000_000 && tokens % 1_000_000 === 0) return `${tokens / 1_000_000}m`;
  if (tokens >= 1_000) return `${Math.round(tokens / 1_000)}k`;
  return String(tokens);
}
