/**
 * The tools that read no model: `preview` (what a set of paths would load, and what would be
 * skipped and why) and `list_corpora` (the operator's named corpora). Both only list and sniff
 * files, as `loadCorpus` does with its documents kept on disk.
 */
import { RlmError } from '../errors.ts';
import type { Corpus } from '../inputs/corpus.ts';
import { loadCorpus } from '../inputs/load-corpus.ts';
import { formatBytes, summarize } from '../inputs/summary.ts';
import type { RlmMcpOptions } from './options.ts';
import { confineSources, OutsideRootsError } from './roots.ts';
import { toolError, type ToolResult } from './tool-result.ts';

/** How many files and skips a preview lists (the counts are always whole). */
const LISTED = 200;

export async function runPreview(paths: readonly string[], roots: readonly string[], signal: AbortSignal): Promise<ToolResult> {
  if (paths.length === 0) return toolError('paths is empty: name at least one file, folder or glob', { roots });
  if (roots.length === 0) return toolError('no allowed root exists: the roots declared and --root name no folder');
  let corpus: Corpus;
  try {
    const sources = await confineSources(paths, roots[0]!, roots);
    corpus = await loadCorpus(sources, { cwd: roots[0]!, onDisk: true, signal });
  } catch (error) {
    if (error instanceof OutsideRootsError || RlmError.isInstance(error)) return toolError(error.message, { roots });
    throw error;
  }
  const files = corpus.documents.slice(0, LISTED).map((d) => ({ path: d.path, bytes: d.bytes, kind: d.kind }));
  const skipped = corpus.skipped
    .slice(0, LISTED)
    .map((s) => ({ path: s.path, reason: s.reason, ...(s.detail ? { detail: s.detail } : {}) }));
  const estimatedTokens = Math.ceil(corpus.totalBytes / 4);
  // Listed from disk for speed; whether an ask keeps them there is its own decision, by their size.
  const summary = summarize({
    ...corpus.origin,
    documents: corpus.documents.length,
    totalBytes: corpus.totalBytes,
    skipped: corpus.skipped,
    onDisk: false,
  });
  const lines = [
    `would load ${summary}`,
    `about ${estimatedTokens.toLocaleString('en-US')} tokens of text (4 bytes a token); relative paths resolve against ${roots[0]}`,
    ...files.map((f) => `  ${f.path}  ${formatBytes(f.bytes)}  ${f.kind}`),
    ...(corpus.documents.length > LISTED ? [`  ... and ${corpus.documents.length - LISTED} more files`] : []),
    ...skipped.map((s) => `  skipped ${s.path}: ${s.reason}${'detail' in s ? ` (${s.detail})` : ''}`),
    ...(corpus.skipped.length > LISTED ? [`  ... and ${corpus.skipped.length - LISTED} more skipped`] : []),
  ];
  return {
    content: [{ type: 'text', text: lines.join('\n') }],
    structuredContent: {
      summary,
      fileCount: corpus.documents.length,
      totalBytes: corpus.totalBytes,
      estimatedTokens,
      files,
      skippedCount: corpus.skipped.length,
      skipped,
      roots,
    },
  };
}

export async function runListCorpora(options: RlmMcpOptions, signal: AbortSignal): Promise<ToolResult> {
  const names = Object.keys(options.corpora);
  if (names.length === 0)
    return {
      content: [{ type: 'text', text: 'no corpora: the server was started without --corpus name=path; ask over paths or text instead' }],
      structuredContent: { corpora: [] },
    };
  const corpora = await Promise.all(
    names.map(async (name) => {
      const path = options.corpora[name]!;
      try {
        const corpus = await loadCorpus([path], { cwd: options.cwd, onDisk: true, signal });
        return {
          name,
          path,
          documents: corpus.documents.length,
          bytes: corpus.totalBytes,
          skipped: corpus.skipped.length,
          summary: corpus.summary(),
        };
      } catch (error) {
        if (!RlmError.isInstance(error)) throw error;
        return { name, path, documents: 0, bytes: 0, skipped: 0, summary: '', error: error.message };
      }
    }),
  );
  const lines = corpora.map((c) =>
    'error' in c
      ? `${c.name}: unreadable: ${c.error}`
      : `${c.name}: ${c.documents.toLocaleString('en-US')} documents, ${formatBytes(c.bytes)} (${c.summary})`,
  );
  return { content: [{ type: 'text', text: lines.join('\n') }], structuredContent: { corpora } };
}
