/**
 * What the root model is told of a corpus before it looks: how many documents, their paths,
 * kinds and sizes (the first hundred, then a count), what was skipped, and how to read them.
 */
import type { ReplLanguage } from '../sandboxes/index.ts';
import type { Corpus } from './corpus.ts';
import { formatBytes, shownPath, skippedSummary } from './summary.ts';

/** Documents named one by one; past them, a count. */
const LISTED = 100;

export function corpusMetadata(corpus: Corpus, language: ReplLanguage): string {
  const { documents, onDisk } = corpus;
  const aw = language === 'javascript' ? 'await ' : '';
  const fields = onDisk
    ? '{ path, kind, bytes }'
    : '{ path, kind, bytes, text } (plus `pages` for a PDF, `records` for CSV and JSON Lines, `data` for JSON)';
  const lines = [
    `Your context is a corpus of ${documents.length.toLocaleString('en-US')} documents, ${formatBytes(corpus.totalBytes)} in all${onDisk ? ', kept on disk (too large for the REPL)' : ''}. \`context\` is a list with one item per document: ${fields}.`,
    `Documents (index: path, kind, size):`,
    ...documents.slice(0, LISTED).map((d, i) => `${i}: ${shownPath(d.path)} (${d.kind}, ${formatBytes(d.bytes)})`),
  ];
  if (documents.length > LISTED)
    lines.push(`... and ${(documents.length - LISTED).toLocaleString('en-US')} more: list them from \`context\`.`);
  const skipped = skippedSummary(corpus.skipped, corpus.origin.maxFileBytes);
  if (skipped) lines.push(`Left out when loading: ${skipped}.`);
  lines.push(
    onDisk
      ? `The texts are not in memory: read a document with \`${aw}read_document(i)\` (or by its path), a slice with \`${aw}read_document(i, start, end)\` (in characters), several with \`${aw}read_documents([i, j, ...])\`. A read brings back at most 8,000,000 characters: read large documents in slices.`
      : `Each item's \`text\` holds the document's text; \`${aw}read_document(i, start, end)\` and \`${aw}read_documents([...])\` read them too.`,
  );
  return lines.join('\n');
}
