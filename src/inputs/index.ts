/**
 * Inputs: files, folders and globs made into a {@link Corpus} of documents (text, PDF, DOCX,
 * HTML, JSON, JSON Lines, CSV) for the REPL's `context`.
 */
export type { DocumentKind, DocumentInfo, LoadedDocument, SkippedFile, CorpusOptions } from './document.ts';
export { Corpus, type CorpusOrigin } from './corpus.ts';
export { loadCorpus, isCorpusSource } from './load-corpus.ts';
