/**
 * Reading a code base from its text alone, by regular expressions: the sections of a CodeQA
 * context, where a function looks defined, its body (by indentation), its parameters, a file's
 * imports. The brute-force checks of the CodeQA generator and the scripted sub-model both use
 * these rules, which know nothing of the generator's syntax trees. They suit code formatted the
 * usual way (one definition a line, bodies indented), which the trees the tests use are.
 */
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real package the tests read: semver, not a dependency of rlm but of typescript-eslint's
 * typescript-estree (a dev dependency of the checkout), so present in its node_modules after
 * `npm ci`. 50 CommonJS files, about 90,000 characters.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../../node_modules/semver', import.meta.url));

/** The files of a context, by path, each text as shown under its `==> path <==` header. */
export function sectionsOf(context: string): Map<string, string> {
  const parts = context.split(/^==> (.+) <==\n/m);
  const sections = new Map<string, string>();
  for (let i = 1; i < parts.length; i += 2) sections.set(parts[i]!, parts[i + 1]!);
  return sections;
}

/** Occurrences of a name as a whole word (comments and strings included). */
export function wordCount(text: string, name: string): number {
  return text.match(new RegExp(`(?<![\\w$])${name}(?![\\w$])`, 'g'))?.length ?? 0;
}

/** Where in the text the name looks defined as a function: each match's offset, at the name. */
export function definitionsIn(text: string, name: string): number[] {
  // One line each: a parameter list, a type, a generic list.
  const value = String.raw`(?:async\s*)?(?:function\b|(?:<[^>\n]*>\s*)?\([^)\n]*\)\s*(?::[^=\n]+)?=>|[\w$]+\s*=>)`;
  const patterns = [
    String.raw`\bfunction\s*\*?\s*(${name})\s*[(<]`,
    String.raw`\b(?:const|let|var)\s+(${name})\s*(?::[^=\n]+)?=\s*${value}`,
    String.raw`\.(${name})\s*=\s*${value}`,
    String.raw`^[ \t]*(?:(?:static|async|public|private|protected|override)\s+)*\*?(${name})\s*(?:<[^>\n]*>)?\([^)\n]*\)\s*(?::[^{\n]+)?\{`,
    String.raw`(?:^[ \t]*|[{,]\s*)(${name})\s*:\s*${value}`,
  ];
  const found = new Set<number>();
  for (const pattern of patterns) {
    for (const match of text.matchAll(new RegExp(pattern, 'gmd'))) found.add(match.indices![1]![0]);
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * The lines of the definition starting at `offset`: its first line, every more indented (or
 * blank) line after it, and a closing line at its own indentation (`}`, `)`...), going on after a
 * closing line that opens again (`) => {`).
 */
export function bodyAt(text: string, offset: number): string {
  const lines = text.slice(text.lastIndexOf('\n', offset) + 1).split('\n');
  const indent = (line: string) => /^[ \t]*/.exec(line)![0].length;
  const base = indent(lines[0]!);
  const body = [lines[0]!];
  for (const line of lines.slice(1)) {
    if (line.trim() === '' || indent(line) > base) {
      body.push(line);
      continue;
    }
    if (!/^[ \t]*[)}\]]/.test(line)) break;
    body.push(line);
    if (!/(?:\{|=>|\()\s*$/.test(line)) break;
  }
  return body.join('\n');
}

/** The parameters written after the name at `offset`, counted at the top level of the list. */
export function parameterCountAt(text: string, offset: number): number {
  const rest = text.slice(offset);
  const bare = /^[\w$]+\s*[:=]\s*(?:async\s+)?([\w$]+)\s*=>/.exec(rest);
  if (bare && bare[1] !== 'function') return 1;
  let i = rest.indexOf('(');
  let depth = 0;
  let commas = 0;
  let content = '';
  for (i++; i < rest.length; i++) {
    const char = rest[i]!;
    if (depth === 0 && char === ')') break;
    if ('([{<'.includes(char)) depth++;
    else if (')]}'.includes(char) || (char === '>' && rest[i - 1] !== '=')) depth--;
    else if (char === ',' && depth === 0) commas++;
    content += char;
  }
  if (content.trim() === '') return 0;
  return content.trim().endsWith(',') ? commas : commas + 1;
}

/** Module specifiers a file's text imports, requires or re-exports. */
export function specifiersIn(text: string): string[] {
  const patterns = [
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]/g,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
  ];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1]!));
}

/** Whether the file at `path` imports the module: a root-relative file path (any extension), or a package. */
export function importsModule(path: string, text: string, module: string): boolean {
  const stem = (p: string) => p.replace(/\.[cm]?[jt]s$/, '').replace(/\/index$/, '');
  const packageOf = (specifier: string) => {
    const parts = specifier.replace(/^node:/, '').split('/');
    return parts[0]!.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  };
  return specifiersIn(text).some((specifier) =>
    specifier.startsWith('.')
      ? stem(posix.normalize(posix.join(posix.dirname(path), specifier))) === stem(module)
      : packageOf(specifier) === module,
  );
}
