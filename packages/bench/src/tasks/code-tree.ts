/**
 * A package tree on disk, read and analysed once per process: every JavaScript and TypeScript
 * source file under a folder that parses, each with its static analysis.
 *
 * @example
 * const tree = readCodeTree('node_modules/semver');
 * tree.files.length; // 50, in path order
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { analyzeSource, type SourceFile } from './code-analysis.ts';

export interface CodeTree {
  /** The folder, as its real path. */
  root: string;
  /** The files that could be analysed, sorted by path. */
  files: SourceFile[];
  /** For each file, the modules it imports: `./path` from the root for a file of the tree, else the package name. */
  modules: Map<SourceFile, Set<string>>;
  /** Source files left out: too large, generated, or not parseable. */
  skipped: string[];
  /** Eight hex digits of a hash of every analysed file's path and text: which code base this is. */
  fingerprint: string;
}

const SOURCE = /\.(?:[cm]?js|[cm]?ts)$/;
const DECLARATIONS = /\.d\.[cm]?ts$/;
/** Larger files are almost always bundles or generated tables, not code anyone reads. */
const MAX_FILE_BYTES = 1_000_000;

const trees = new Map<string, CodeTree>();

/** The tree under `root`, analysed on first use and then kept for the rest of the process. */
export function readCodeTree(root: string): CodeTree {
  let real: string;
  try {
    real = realpathSync(root);
    if (!statSync(real).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new Error(`${root} is not a folder; point at a package tree with JavaScript or TypeScript sources`);
  }
  let tree = trees.get(real);
  if (!tree) {
    tree = analyzeTree(real);
    trees.set(real, tree);
  }
  return tree;
}

function analyzeTree(root: string): CodeTree {
  const paths = listSources(root, '').sort(byCodeUnits);
  const files: SourceFile[] = [];
  const skipped: string[] = [];
  for (const path of paths) {
    const full = join(root, ...path.split('/'));
    if (statSync(full).size > MAX_FILE_BYTES) {
      skipped.push(path);
      continue;
    }
    const text = readFileSync(full, 'utf8').replace(/^\uFEFF/, '');
    const file = looksGenerated(path, text) ? undefined : analyzeSource(path, text);
    if (file) files.push(file);
    else skipped.push(path);
  }
  const known = new Set(paths);
  const modules = new Map(
    files.map((file) => [file, new Set(file.imports.flatMap((specifier) => resolveModule(file.path, specifier, known) ?? []))]),
  );
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.path}\0${file.text}\0`);
  return { root, files, modules, skipped, fingerprint: hash.digest('hex').slice(0, 8) };
}

/**
 * Source files below `dir`, as root-relative paths. Nested `node_modules` (other packages),
 * dot-folders (`.git`, caches) and symbolic links (which may loop) are not followed.
 */
function listSources(root: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) found.push(...listSources(root, path));
    } else if (entry.isFile() && SOURCE.test(entry.name) && !DECLARATIONS.test(entry.name)) {
      found.push(path);
    }
  }
  return found;
}

/** Minified or generated: named so, or with lines no one writes by hand. */
function looksGenerated(path: string, text: string): boolean {
  if (/\.min\.[cm]?js$/.test(path)) return true;
  const lines = text.split('\n');
  return text.length / lines.length > 200 || lines.some((line) => line.length > 5_000);
}

const EXTENSIONS = ['.js', '.ts', '.mjs', '.mts', '.cjs', '.cts'];

/**
 * What a specifier names: for a relative one that reaches a file of the tree, that file's path
 * from the root (`../classes/semver` from `functions/parse.js` is `./classes/semver.js`; `./a.js`
 * may be `./a.ts`); the package for a bare one (`node:fs` is `fs`, `lodash/get` is `lodash`);
 * else undefined.
 */
export function resolveModule(from: string, specifier: string, known: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.')) {
    if (specifier.startsWith('/') || specifier.startsWith('#') || /^[a-z]+:\/\//i.test(specifier)) return undefined;
    const bare = specifier.replace(/^node:/, '');
    const parts = bare.split('/');
    return bare.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  }
  const path = posix.normalize(posix.join(posix.dirname(from), specifier));
  if (path.startsWith('..')) return undefined;
  const stem = path.replace(/\.[cm]?[jt]s$/, '');
  const candidates = [path, ...EXTENSIONS.map((ext) => stem + ext), ...EXTENSIONS.map((ext) => `${path}/index${ext}`)];
  const found = candidates.find((candidate) => known.has(candidate));
  return found === undefined ? undefined : `./${found}`;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
