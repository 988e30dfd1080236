/**
 * Where the MCP server may read: the roots the client declares, the operator's `--root`s, or
 * else the folder it was started in. Every path, folder and glob an `ask` names is checked
 * against them by its real path (symbolic links followed) before anything is read: the same
 * resolution `loadCorpus` applies, so what is checked is what would be read.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInside } from '../inputs/walk.ts';
import { looksLikeGlob } from '../inputs/sources.ts';

/** A source outside every allowed root: the tool answers with this message as an error. */
export class OutsideRootsError extends Error {
  readonly path: string;
  readonly roots: readonly string[];
  constructor(path: string, roots: readonly string[]) {
    super(
      `${JSON.stringify(path)} is outside the allowed roots (${roots.join(', ')}): rlm reads only files under the roots the client declares or \`rlm mcp --root <dir>\` allows`,
    );
    this.name = 'OutsideRootsError';
    this.path = path;
    this.roots = roots;
  }
}

/** The folders of the `file://` roots a client declared (others are not folders rlm can read). */
export function rootFolders(roots: readonly { uri: string }[]): string[] {
  const folders: string[] = [];
  for (const root of roots) {
    if (!root.uri.startsWith('file:')) continue;
    try {
      folders.push(fileURLToPath(root.uri));
    } catch {
      // a file: URI with a host or bad escapes names no local folder
    }
  }
  return folders;
}

/**
 * The allowed roots, in order, each as its real path: the client's, then the operator's; the
 * working directory when there are neither and one is given. A root that does not exist is left out.
 */
export async function allowedRoots(client: readonly string[], operator: readonly string[], cwd: string | undefined): Promise<string[]> {
  const given = [...client, ...operator];
  const fallback = cwd === undefined ? [] : [cwd];
  const reals = await Promise.all(
    (given.length > 0 ? given : fallback).map((root) => realpath(resolve(cwd ?? '/', root)).catch(() => undefined)),
  );
  return [...new Set(reals.filter((root): root is string => root !== undefined))];
}

/**
 * Checks that each source, resolved against `base` as `loadCorpus` will resolve it, stays inside
 * a root: a file or folder by its real path, a glob by the real path of the folder its walk
 * starts from (the walk itself follows no link out of it), a path that does not exist by its
 * nearest existing folder (so nothing is told about what exists outside). Returns the sources
 * as given, `file://` URIs made paths. Throws {@link OutsideRootsError}.
 */
export async function confineSources(sources: readonly string[], base: string, roots: readonly string[]): Promise<string[]> {
  const confined: string[] = [];
  for (const given of sources) {
    const source = given.startsWith('file:') ? fileURLToPath(given) : given;
    const abs = resolve(base, source);
    const exists = await stat(abs).then(
      () => true,
      () => false,
    );
    let real: string;
    if (exists) real = await realpath(abs);
    else if (looksLikeGlob(source)) real = await nearestReal(resolve(base, globBase(source)));
    else real = await nearestReal(abs);
    if (!roots.some((root) => isInside(root, real))) throw new OutsideRootsError(given, roots);
    confined.push(source);
  }
  return confined;
}

/** The folder a glob's walk starts from, as `loadCorpus` finds it: the part before the first wildcard. */
function globBase(source: string): string {
  const pattern = posix.normalize(source.replaceAll('\\', '/'));
  const segments = pattern.split('/');
  const firstMagic = segments.findIndex((segment) => looksLikeGlob(segment));
  return segments.slice(0, firstMagic).join('/') || (pattern.startsWith('/') ? '/' : '.');
}

/** The real path of `path`, or of its nearest existing ancestor with the rest joined on. */
async function nearestReal(path: string): Promise<string> {
  let current = path;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(current), ...rest.reverse());
    } catch {
      const parent = dirname(current);
      if (parent === current) return path;
      rest.push(basename(current));
      current = parent;
    }
  }
}
