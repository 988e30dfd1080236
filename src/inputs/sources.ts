/**
 * Turning the sources as given (files, folders, quoted globs) into the list of candidate files,
 * in the corpus's order: sources in the order given, then by path. A glob is expanded by the
 * same walk as a folder (from the part of the pattern before its first wildcard), so that it
 * honours `.gitignore` and never enters an ignored folder; `path.matchesGlob` decides a match.
 */
import { stat } from 'node:fs/promises';
import { matchesGlob, posix, resolve } from 'node:path';
import { RlmError } from '../errors.ts';
import type { ResolvedCorpusOptions, SkippedFile } from './document.ts';
import { byCodePoint } from './order.ts';
import { describeFsError, isFsError, walkFolder, type WalkOptions } from './walk.ts';

/** A file that may become a document. `explicit`: named by the user, so a problem is an error. */
export interface Candidate {
  readonly abs: string;
  readonly path: string;
  readonly explicit: boolean;
}

export interface Expanded {
  candidates: Candidate[];
  skipped: SkippedFile[];
}

const GLOB_CHARS = /[*?[\]{}]/;

/** Whether a source reads as a glob pattern rather than a path. */
export function looksLikeGlob(source: string): boolean {
  return GLOB_CHARS.test(source);
}

export async function expandSources(sources: readonly string[], options: ResolvedCorpusOptions): Promise<Expanded> {
  const seen = new Set<string>();
  const result: Expanded = { candidates: [], skipped: [] };
  for (const source of sources) {
    const { candidates, skipped } = await expandOne(source, sources.length > 1, options);
    // The same file reached twice (a folder and a glob inside it) is one document, in its first place.
    for (const candidate of candidates.sort((a, b) => byCodePoint(a.path, b.path))) {
      if (seen.has(candidate.abs)) continue;
      seen.add(candidate.abs);
      result.candidates.push(candidate);
    }
    result.skipped.push(...skipped.sort((a, b) => byCodePoint(a.path, b.path)));
  }
  return result;
}

async function expandOne(source: string, several: boolean, options: ResolvedCorpusOptions): Promise<Expanded> {
  const abs = resolve(options.cwd, source);
  let isDirectory: boolean;
  try {
    const stats = await stat(abs);
    if (!stats.isDirectory() && !stats.isFile()) throw new RlmError('RLM_INPUT', `cannot read ${source}: not a regular file`);
    isDirectory = stats.isDirectory();
  } catch (error) {
    if (RlmError.isInstance(error)) throw error;
    const code = (error as { code?: string }).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && looksLikeGlob(source)) return expandGlob(source, options);
    throw new RlmError('RLM_INPUT', `cannot read ${source}: ${describeFsError(error)}`, { cause: error });
  }
  if (!isDirectory) return { candidates: [{ abs, path: source, explicit: true }], skipped: [] };

  // With several sources, a folder's paths carry the folder as given, so two README.md stay apart.
  const prefix = several ? posix.normalize(source.replaceAll('\\', '/')).replace(/\/+$/, '') : '';
  const display = (rel: string): string => (prefix === '' ? rel : posix.join(prefix, rel) + (rel.endsWith('/') ? '/' : ''));
  const found = await walkOrThrow(abs, source, { signal: options.signal });
  return {
    candidates: found.files.map((f) => ({ abs: f.abs, path: display(f.rel), explicit: false })),
    skipped: found.skipped.map((s) => ({ ...s, path: display(s.path) })),
  };
}

async function expandGlob(source: string, options: ResolvedCorpusOptions): Promise<Expanded> {
  const pattern = posix.normalize(source.replaceAll('\\', '/'));
  const segments = pattern.split('/');
  const firstMagic = segments.findIndex((s) => looksLikeGlob(s));
  const base = segments.slice(0, firstMagic).join('/') || (pattern.startsWith('/') ? '/' : '');
  const rest = segments.slice(firstMagic);
  const display = (rel: string): string => (base === '' ? rel : posix.join(base, rel) + (rel.endsWith('/') ? '/' : ''));
  const baseAbs = resolve(options.cwd, base === '' ? '.' : base);
  let found;
  try {
    found = await walkFolder(baseAbs, {
      signal: options.signal,
      match: (rel) => matchesGlob(display(rel), pattern),
      maxDepth: rest.includes('**') ? Infinity : rest.length,
    });
  } catch (error) {
    // The folder before the first wildcard does not exist, or cannot be read: nothing matches.
    if (!isFsError(error)) throw error;
    found = { files: [], skipped: [] };
  }
  if (found.files.length === 0 && !found.skipped.some((s) => !s.path.endsWith('/'))) {
    throw new RlmError('RLM_INPUT', `no file matches ${source}`);
  }
  return {
    candidates: found.files.map((f) => ({ abs: f.abs, path: display(f.rel), explicit: false })),
    skipped: found.skipped.map((s) => ({ ...s, path: display(s.path) })),
  };
}

async function walkOrThrow(abs: string, source: string, options: WalkOptions) {
  try {
    return await walkFolder(abs, options);
  } catch (error) {
    if (!isFsError(error)) throw error;
    throw new RlmError('RLM_INPUT', `cannot read ${source}: ${describeFsError(error)}`, { cause: error });
  }
}
