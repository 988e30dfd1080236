/**
 * The shapes a corpus is made of: what the REPL sees of each document, what a loaded document
 * carries, what was left out and why, and the options of a load with their defaults in one place.
 */
import type { JsonValue } from '../sandboxes/index.ts';

/** What a document is, told by its extension and its first bytes. */
export type DocumentKind = 'text' | 'pdf' | 'docx' | 'html' | 'json' | 'jsonl' | 'csv';

/**
 * What the REPL always sees of a document. `path` is relative to the folder given (POSIX `/`),
 * or the file's path as given; with several sources, a folder's documents are prefixed with the
 * folder as given so that every path stays unique. `bytes` is the file's size on disk.
 */
export interface DocumentInfo {
  path: string;
  bytes: number;
  kind: DocumentKind;
}

/**
 * A loaded document: its text, and by kind its `pages` (pdf: the text of each page; `text` is the
 * pages joined by a form feed, `\f`), its `records` (csv: one object per row keyed by the header
 * row, every value a string, exactly as written, so that counts and ids are never rounded; jsonl:
 * one value per non-empty line) or its `data` (json). For html, `text` is the readable text
 * (headings as `#`, paragraphs apart, scripts and styles dropped); for json, jsonl and csv it is
 * the file as written.
 *
 * @example
 * const [doc] = corpus.contextValue() as LoadedDocument[];
 * if (doc.kind === 'csv') console.log(doc.records?.length, 'rows');
 */
export interface LoadedDocument extends DocumentInfo {
  text: string;
  pages?: string[];
  records?: JsonValue[];
  data?: JsonValue;
}

/**
 * A file or folder left out of the corpus. `ignored`: by a `.gitignore` (or `.git/` itself; a
 * folder's path ends with `/` and its contents were not walked); `binary`: not text nor a
 * document kind; `too-large`: over `maxFileBytes`; `unreadable-link`: a symbolic link that is
 * dangling, points outside the folder given, or closes a cycle; `unreadable`: could not be read
 * or extracted (permission denied, a corrupt PDF, a bad JSON Lines line, not a regular file),
 * `detail` says why.
 */
export interface SkippedFile {
  path: string;
  reason: 'ignored' | 'binary' | 'too-large' | 'unreadable-link' | 'unreadable';
  bytes?: number;
  detail?: string;
}

/** How {@link loadCorpus} loads its sources. */
export interface CorpusOptions {
  /** Files larger than this are skipped as `too-large` (an error for a file named explicitly). Default 10 MiB. */
  maxFileBytes?: number;
  /**
   * Keep documents on disk (only their list is loaded, `read()` opens them on demand) instead of
   * holding their text. Default `'auto'`: on disk when the files found total more than
   * `memoryBudgetBytes`. On disk, a kind is told from the first 8 KiB alone (a `.json` that starts
   * like JSON is `json`, even if it would not parse whole).
   */
  onDisk?: boolean | 'auto';
  /** The total size above which `'auto'` keeps documents on disk. Default 256 MiB. */
  memoryBudgetBytes?: number;
  /** The folder relative sources and globs are resolved from. Default `process.cwd()`. */
  cwd?: string;
  /** Aborts the load (a `CancelledError`). */
  signal?: AbortSignal;
}

const MiB = 1024 * 1024;

/** The options with every default filled in, once. */
export interface ResolvedCorpusOptions {
  readonly maxFileBytes: number;
  readonly onDisk: boolean | 'auto';
  readonly memoryBudgetBytes: number;
  readonly cwd: string;
  readonly signal: AbortSignal | undefined;
}

export function resolveCorpusOptions(options: CorpusOptions = {}): ResolvedCorpusOptions {
  return Object.freeze({
    maxFileBytes: options.maxFileBytes ?? 10 * MiB,
    onDisk: options.onDisk ?? 'auto',
    memoryBudgetBytes: options.memoryBudgetBytes ?? 256 * MiB,
    cwd: options.cwd ?? process.cwd(),
    signal: options.signal,
  });
}

/** How many files are opened at once while loading. */
export const OPEN_AT_ONCE = 32;

/** How much of each file is read to tell its kind and whether it is binary. */
export const HEAD_BYTES = 8192;
