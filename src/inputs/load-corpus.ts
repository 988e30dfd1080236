/**
 * Loading a corpus: expand the sources, size every file, decide loaded or on disk, then read
 * (or only sniff) the files a bounded number at a time. A problem with a file the user named is
 * an error; with a file found in a folder or by a glob, a skip listed in the summary.
 */
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RlmError, throwIfAborted } from '../errors.ts';
import { Corpus, type CorpusEntry } from './corpus.ts';
import { HEAD_BYTES, OPEN_AT_ONCE, resolveCorpusOptions, type CorpusOptions } from './document.ts';
import { loadWhole, sizeOf, sniffOnDisk, type Problem } from './inspect.ts';
import { mapLimit } from './pool.ts';
import { sniff } from './sniff.ts';
import { expandSources, looksLikeGlob, type Candidate } from './sources.ts';
import { skippedSummary } from './summary.ts';

/**
 * The documents of files, folders (walked, `.gitignore` honoured) and quoted globs, loaded into
 * memory or, past `memoryBudgetBytes`, kept on disk. Throws `RlmError('RLM_INPUT')`, one line
 * naming the file, for a source that does not exist, a glob that matches nothing, sources with no
 * readable document, or a named file that is binary, too large, unreadable or corrupt.
 *
 * @example
 * const corpus = await loadCorpus(['./repo', 'notes/*.md'], { maxFileBytes: 1 << 20 });
 * console.log(corpus.summary()); // "312 files, 2.1 MiB from ./repo, notes/*.md; skipped: ..."
 */
export async function loadCorpus(sources: readonly string[], options?: CorpusOptions): Promise<Corpus> {
  const resolved = resolveCorpusOptions(options);
  const { signal, maxFileBytes } = resolved;
  if (sources.length === 0) throw new RlmError('RLM_INPUT', 'no source given: name a file, a folder or a glob');
  const { candidates, skipped } = await expandSources(sources, resolved);
  const found = [...skipped];
  // A problem is an error for a file the user named, and one more skip for a file found.
  const keep = <T>(candidate: Candidate, outcome: T | Problem): outcome is T => {
    if (!isProblem(outcome)) return true;
    if (candidate.explicit) throw new RlmError('RLM_INPUT', `cannot read ${candidate.path}: ${outcome.message}`);
    found.push(outcome.skip);
    return false;
  };

  const sizes = await mapLimit(candidates, OPEN_AT_ONCE, (c) => sizeOf(c, maxFileBytes), signal);
  const sized = candidates.flatMap((candidate, i) => (keep(candidate, sizes[i]) ? [{ candidate, bytes: sizes[i] as number }] : []));
  // Records and parsed JSON take several times their file's size in the REPL: judged by the
  // extension first, then, once loaded, by what was made of each file.
  const expected = sized.reduce((sum, s) => sum + s.bytes * growthOf(s.candidate.path), 0);
  let onDisk = resolved.onDisk === 'auto' ? expected > resolved.memoryBudgetBytes : resolved.onDisk;
  const read = (disk: boolean) =>
    mapLimit(
      sized,
      OPEN_AT_ONCE,
      async ({ candidate, bytes }) => (disk ? sniffOnDisk(candidate, bytes) : loadWhole(candidate, bytes)),
      signal,
    );
  let outcomes = await read(onDisk);
  if (!onDisk && resolved.onDisk === 'auto' && loadedSize(outcomes) > resolved.memoryBudgetBytes) {
    onDisk = true;
    outcomes = await read(true);
  }
  throwIfAborted(signal);
  const entries: CorpusEntry[] = [];
  sized.forEach(({ candidate, bytes }, i) => {
    const outcome = outcomes[i]!;
    if (!keep(candidate, outcome)) return;
    // On disk the outcome is the kind alone; loaded, the whole document (whose kind may have been
    // corrected by its content: a .json that does not parse is text).
    const info = { path: candidate.path, bytes, kind: typeof outcome === 'string' ? outcome : outcome.kind };
    entries.push(typeof outcome === 'string' ? { info, abs: candidate.abs } : { info, abs: candidate.abs, loaded: outcome });
  });

  if (entries.length === 0) {
    const why = skippedSummary(found, maxFileBytes);
    throw new RlmError('RLM_INPUT', `no readable document in ${sources.join(', ')}${why === '' ? '' : ` (skipped: ${why})`}`);
  }
  return new Corpus({ entries, skipped: found, onDisk, sources, maxFileBytes, cwd: resolve(resolved.cwd) });
}

/**
 * Whether a single source should become a {@link Corpus} rather than plain text: a folder, a glob,
 * or a file of a document kind (pdf, docx, html, json, jsonl, csv, by extension or content). A
 * plain text file returns false (it stays a string context); so does a path that does not exist
 * and is no glob. A binary or unreadable file returns true, so that {@link loadCorpus} says why
 * in one line.
 *
 * @example
 * const context = (await isCorpusSource(path)) ? (await loadCorpus([path])).contextValue() : await readFile(path, 'utf8');
 */
export async function isCorpusSource(source: string, cwd: string = process.cwd()): Promise<boolean> {
  const abs = resolve(cwd, source);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(abs)).isDirectory();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return looksLikeGlob(source);
    return true;
  }
  if (isDirectory) return true;
  let head: Buffer;
  let complete: boolean;
  try {
    const file = await open(abs, 'r');
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
      complete = bytesRead < HEAD_BYTES || (await file.stat()).size <= HEAD_BYTES;
    } finally {
      await file.close();
    }
  } catch {
    return true;
  }
  const sniffed = sniff(abs, head, complete);
  return !('kind' in sniffed) || sniffed.kind !== 'text';
}

function isProblem(outcome: unknown): outcome is Problem {
  return typeof outcome === 'object' && outcome !== null && 'skip' in outcome && 'message' in outcome;
}

/** How many times its size on disk a file may take once loaded, by its extension. */
function growthOf(path: string): number {
  const ext = path.slice(path.lastIndexOf('.')).toLowerCase();
  // A CSV row becomes an object whose keys repeat the header; a JSON value, objects and strings.
  if (ext === '.csv') return 8;
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') return 3;
  return 1;
}

/** About how many characters the loaded documents hold, their records and data as JSON included. */
function loadedSize(outcomes: ReadonlyArray<unknown>): number {
  let size = 0;
  for (const outcome of outcomes) {
    if (typeof outcome !== 'object' || outcome === null || !('text' in outcome)) continue;
    const document = outcome as { text: string; records?: unknown[]; data?: unknown; pages?: string[] };
    size += document.text.length * (document.pages ? 2 : 1);
    if (document.data !== undefined) size += document.text.length;
    if (document.records && document.records.length > 0) {
      // The mean size of a sample of records, times their count.
      const sample = document.records.slice(0, 100);
      size += (JSON.stringify(sample).length / sample.length) * document.records.length;
    }
  }
  return size;
}
