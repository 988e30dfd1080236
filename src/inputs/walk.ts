/**
 * Walking a folder for documents: `.gitignore` honoured (an ignored folder is listed once and not
 * entered, so a large `node_modules/` costs one entry), `.git/` always left out, symbolic links
 * followed only when they stay inside the folder and close no cycle.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { throwIfAborted } from '../errors.ts';
import type { SkippedFile } from './document.ts';
import { GitignoreRules } from './gitignore.ts';

/** A file found by the walk; `rel` is relative to the folder walked, with `/`. */
export interface FoundFile {
  readonly abs: string;
  readonly rel: string;
}

export interface WalkOptions {
  readonly signal?: AbortSignal | undefined;
  /** Only files for which this holds are found (a glob's pattern); every file by default. */
  readonly match?: (rel: string) => boolean;
  /** The most path segments a found file can have (a glob without `**`); unlimited by default. */
  readonly maxDepth?: number;
}

export interface WalkResult {
  files: FoundFile[];
  skipped: SkippedFile[];
}

/** The files under `root` (which must be a readable folder: its errors are thrown as they are). */
export async function walkFolder(root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const match = options.match ?? (() => true);
  const maxDepth = options.maxDepth ?? Infinity;
  const result: WalkResult = { files: [], skipped: [] };
  const rootReal = await realpath(root);
  // Each real folder is read once: links that fan out (two links in each folder to the next) would
  // otherwise make the walk exponential in their depth, with no cycle to stop it.
  const entered = new Set<string>([rootReal]);

  const visit = async (dirAbs: string, dirRel: string, inherited: GitignoreRules, ancestors: readonly string[]): Promise<void> => {
    throwIfAborted(options.signal);
    const entries = await readdir(dirAbs, { withFileTypes: true });
    const rules = await withGitignore(inherited, dirAbs, dirRel, entries);
    const depth = dirRel === '' ? 0 : dirRel.split('/').length;
    // Sibling folders are read at once (the order is made afterwards, by path).
    const subfolders: Promise<void>[] = [];
    for (const entry of entries) {
      const abs = join(dirAbs, entry.name);
      const rel = dirRel === '' ? entry.name : `${dirRel}/${entry.name}`;
      // A folder is worth listing or entering only if a matching file could lie below it.
      const dirRelevant = depth + 1 < maxDepth;
      if (entry.name === '.git') {
        if (dirRelevant) result.skipped.push({ path: entry.isDirectory() ? `${rel}/` : rel, reason: 'ignored' });
        continue;
      }
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let real = join(ancestors.at(-1)!, entry.name);
      if (rules.ignores(rel, isDir)) {
        if (isDir ? dirRelevant : match(rel)) result.skipped.push({ path: isDir ? `${rel}/` : rel, reason: 'ignored' });
        continue;
      }
      if (entry.isSymbolicLink()) {
        const link = await resolveLink(abs, rootReal, ancestors);
        if ('problem' in link) {
          if (match(rel) || dirRelevant) result.skipped.push({ path: rel, reason: 'unreadable-link', detail: link.problem });
          continue;
        }
        ({ isDir, isFile, real } = link);
        if (isDir && rules.ignores(rel, true)) {
          if (dirRelevant) result.skipped.push({ path: `${rel}/`, reason: 'ignored' });
          continue;
        }
      }
      if (isDir) {
        if (!dirRelevant) continue;
        if (entered.has(real)) {
          result.skipped.push({ path: `${rel}/`, reason: 'unreadable-link', detail: 'a folder already read by another path' });
          continue;
        }
        entered.add(real);
        subfolders.push(visitSubfolder(abs, rel, rules, [...ancestors, real]));
      } else if (!match(rel)) {
        continue;
      } else if (isFile) {
        result.files.push({ abs, rel });
      } else {
        // Never open a FIFO or a device: reading one may block forever.
        result.skipped.push({ path: rel, reason: 'unreadable', detail: 'not a regular file' });
      }
    }
    await Promise.all(subfolders);
  };

  const visitSubfolder = async (abs: string, rel: string, rules: GitignoreRules, ancestors: readonly string[]): Promise<void> => {
    try {
      await visit(abs, rel, rules, ancestors);
    } catch (error) {
      if (!isFsError(error)) throw error;
      result.skipped.push({ path: `${rel}/`, reason: 'unreadable', detail: describeFsError(error) });
    }
  };

  await visit(root, '', GitignoreRules.none, [rootReal]);
  return result;
}

async function withGitignore(rules: GitignoreRules, dirAbs: string, dirRel: string, entries: Dirent[]): Promise<GitignoreRules> {
  if (!entries.some((e) => e.name === '.gitignore' && e.isFile())) return rules;
  try {
    return rules.with(dirRel, await readFile(join(dirAbs, '.gitignore'), 'utf8'));
  } catch {
    // An unreadable .gitignore excludes nothing, as in git.
    return rules;
  }
}

type Link = { isDir: boolean; isFile: boolean; real: string } | { problem: string };

async function resolveLink(abs: string, rootReal: string, ancestors: readonly string[]): Promise<Link> {
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    return { problem: 'a dangling link' };
  }
  if (!isInside(rootReal, real)) return { problem: 'points outside the folder' };
  let target;
  try {
    target = await stat(real);
  } catch (error) {
    return { problem: describeFsError(error) };
  }
  if (target.isDirectory() && ancestors.includes(real)) return { problem: 'a link cycle' };
  return { isDir: target.isDirectory(), isFile: target.isFile(), real };
}

/** Whether `path` is `root` or below it (both real, absolute). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel.split(sep)[0] !== '..' && !isAbsolute(rel));
}

/** Whether `error` came from the file system (and so is about one file), not from a cancellation or a bug. */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** A file system error as a few words, e.g. "permission denied". */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EISDIR') return 'is a folder';
  if (code === 'ELOOP') return 'too many symbolic links';
  return (error as Error).message;
}
