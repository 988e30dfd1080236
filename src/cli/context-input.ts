/**
 * Reading the context: one file, several files (a list, one item per file), standard input, or
 * files, folders and globs as a corpus of documents. Text bytes must be valid UTF-8: a wrong
 * encoding is refused rather than silently mangled.
 */
import { access, glob, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { RlmError } from '../errors.ts';
import type { Corpus } from '../inputs/corpus.ts';

/** Extensions of the documents that are read as such (pages, records, data), not as plain text. */
const DOCUMENT_EXTENSIONS = new Set(['.pdf', '.docx', '.html', '.htm', '.json', '.jsonl', '.ndjson', '.csv']);

/**
 * The sources as a corpus, when one of them is a folder, a glob or a document (PDF, DOCX, HTML,
 * JSON, JSON Lines, CSV); undefined when they are plain text files or standard input, read as today.
 * The corpus code is loaded only for a corpus.
 */
export async function readCorpus(sources: readonly string[], options: { memoryLimitMb: number }): Promise<Corpus | undefined> {
  const flags = await Promise.all(sources.map(isCorpusLike));
  if (!flags.some(Boolean)) return undefined;
  if (sources.includes('-')) throw new RlmError('RLM_INPUT', 'standard input (-) cannot be given with folders, globs or documents');
  const { loadCorpus } = await import('../inputs/load-corpus.ts');
  // Past a quarter of the REPL's memory (texts are held twice while they load), the files stay on disk.
  return loadCorpus(sources, { memoryBudgetBytes: (options.memoryLimitMb * 1024 * 1024) / 4 });
}

async function isCorpusLike(source: string): Promise<boolean> {
  if (source === '-') return false;
  if (DOCUMENT_EXTENSIONS.has(extname(source).toLowerCase())) return true;
  try {
    return (await stat(source)).isDirectory();
  } catch {
    // not a file or folder of that name: a glob is a corpus; anything else is refused by readContext
    return /[*?[{]/.test(source);
  }
}

export async function readContext(sources: string[], stdin: NodeJS.ReadableStream): Promise<string | string[]> {
  if (sources.length === 0) throw new RlmError('RLM_INPUT', 'no context given: pass --context <file> (or --context - for standard input)');
  if (sources.filter((s) => s === '-').length > 1)
    throw new RlmError('RLM_INPUT', 'standard input (-) can be given only once as --context');
  const texts: string[] = [];
  for (const source of sources) texts.push(decode(source === '-' ? await readAll(stdin) : await readSource(source), source));
  const total = texts.reduce((n, t) => n + t.length, 0);
  if (total === 0 || texts.every((t) => t.trim() === '')) {
    throw new RlmError('RLM_INPUT', `the context is empty (${sources.map((s) => (s === '-' ? 'standard input' : s)).join(', ')})`);
  }
  return texts.length === 1 ? texts[0]! : texts;
}

/** The files the sources name, quoted globs expanded. */
export async function expandSources(sources: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const source of sources) files.push(...(await expandGlob(source)));
  return files;
}

/** A quoted glob (`-c 'notes/*.md'`) is the files it matches, in name order; a file of that very name wins. */
async function expandGlob(source: string): Promise<string[]> {
  if (source === '-' || !/[*?[{]/.test(source)) return [source];
  try {
    await access(source);
    return [source];
  } catch {
    // not a file of that name: a pattern
  }
  const matches: string[] = [];
  for await (const entry of glob(source, { withFileTypes: true })) {
    if (entry.isFile()) matches.push(join(entry.parentPath, entry.name));
  }
  if (matches.length === 0) throw new RlmError('RLM_INPUT', `no file matches ${source}`);
  return matches.sort();
}

async function readSource(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new RlmError('RLM_INPUT', `no such file: ${path}`);
    if (code === 'EISDIR') throw new RlmError('RLM_INPUT', `${path} is a directory; pass files (each becomes one item of the context)`);
    if (code === 'EACCES') throw new RlmError('RLM_INPUT', `cannot read ${path}: permission denied`);
    throw new RlmError('RLM_INPUT', `cannot read ${path}: ${(error as Error).message}`);
  }
}

function decode(bytes: Buffer, source: string): string {
  // NUL bytes are valid UTF-8 but no text has them: the same test a folder's files are put to.
  const nul = bytes.subarray(0, 8192).indexOf(0);
  if (nul >= 0) {
    const name = source === '-' ? 'standard input' : source;
    throw new RlmError('RLM_INPUT', `${name} is a binary file (a NUL byte at offset ${nul}), not text`);
  }
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    const at = firstInvalidByte(bytes);
    const name = source === '-' ? 'standard input' : source;
    throw new RlmError(
      'RLM_INPUT',
      `${name} is not valid UTF-8 (first bad byte at offset ${at}); convert it, e.g. iconv -f latin1 -t utf-8`,
    );
  }
}

function firstInvalidByte(bytes: Buffer): number {
  // Binary search for the longest prefix that decodes; in stream mode a prefix that ends inside a
  // character is still fine, so only a really invalid byte makes a prefix fail.
  let lo = 0;
  let hi = bytes.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid;
    }
  }
  // `lo` may end inside the bad sequence (a lead byte whose continuation is wrong): report where
  // that sequence starts, the last point up to which the bytes decode completely.
  for (let start = lo; start >= Math.max(0, lo - 3); start--) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, start));
      return start;
    } catch {
      // keep backing up
    }
  }
  return lo;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
