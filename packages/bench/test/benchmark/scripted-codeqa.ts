/**
 * A scripted stand-in for a competent model on CodeQA-style questions: the root splits the
 * context into files by their headers and answers by searching them — counting a name's
 * occurrences, reading a definition's parameters, reading each file's imports — and asks a
 * sub-model the questions that need reading code (does this file define X, does this function
 * call Y), showing it one file or one function. The sub-model answers those by rule.
 */
import { bodyAt, definitionsIn } from '../tasks/code-rules.ts';

/** Whether a question (the last paragraph of a query) is a CodeQA one: four lettered options. */
export function isCodeQaQuestion(question: string): boolean {
  return /^\(A\) /m.test(question) && /^\(D\) /m.test(question);
}

/**
 * The code a competent root model writes for the question (the query's last paragraph: the
 * question, its lettered options and the instruction). The letter is left in a top-level
 * `answer` for the next turn's `FINAL(String(answer))`.
 */
export function codeQaRootCode(question: string): string {
  // String.raw keeps the regular expressions as a model would type them; \x60 is a backtick.
  return `const question = ${JSON.stringify(question)};
${String.raw`const options = [...question.matchAll(/^\(([A-D])\) (.+)$/gm)].map((m) => ({ letter: m[1], text: m[2] }));
const parts = context.split(/^==> (.+) <==\n/m);
const files = new Map();
for (let i = 1; i < parts.length; i += 2) files.set(parts[i], parts[i + 1]);
print(files.size + ' files; options: ' + options.map((o) => o.letter + ') ' + o.text).join(' | '));
const wordRe = (name) => new RegExp('(?<![\\w$])' + name + '(?![\\w$])', 'g');
// Where a function looks defined: function name(, name = (...) =>, name: function, .name = ..., a method line.
const definitionRe = (name) =>
  new RegExp('\\bfunction\\s*\\*?\\s*' + name + '\\s*[(<]|(?:^|[^\\w$.])' + name + '\\s*[:=]\\s*(?:async\\s*)?(?:function\\b|\\(|[\\w$]+\\s*=>)|\\.' + name + '\\s*=\\s*(?:async\\s*)?(?:function\\b|\\(|[\\w$]+\\s*=>)|^[ \\t]*(?:(?:static|async|public|private|protected)\\s+)*' + name + '\\s*\\([^)\\n]*\\)\\s*\\{', 'm');
function findDefinition(name) {
  for (const [path, text] of files) {
    const m = definitionRe(name).exec(text);
    if (m) return { path, text, at: text.indexOf(name, m.index) };
  }
}
// A definition's lines: its first, the more indented ones after it, and its closing line.
function bodyFrom(text, at) {
  const lines = text.slice(text.lastIndexOf('\n', at) + 1).split('\n');
  const indent = (line) => line.length - line.trimStart().length;
  const body = [lines[0]];
  for (const line of lines.slice(1)) {
    if (line.trim() === '' || indent(line) > indent(lines[0])) { body.push(line); continue; }
    if (!/^\s*[)}\]]/.test(line)) break;
    body.push(line);
    if (!/(?:\{|=>|\()\s*$/.test(line)) break;
  }
  return body.join('\n');
}
const yesLetter = (replies) => options[replies.findIndex((r) => /^\s*yes/i.test(r))]?.letter;
let answer, m;
if ((m = /In which file is the function \x60(\w+)\x60 defined\?/.exec(question))) {
  const name = m[1];
  const replies = await llm_query_batched(options.map((o) => 'Does this file define a function named \x60' + name + '\x60? Reply yes or no.\n\n==> ' + o.text + ' <==\n' + files.get(o.text)));
  print('defines ' + name + ': ' + replies.join(', '));
  answer = yesLetter(replies);
} else if ((m = /Which of these functions calls \x60(\w+)\x60 directly\?/.exec(question))) {
  const callee = m[1];
  const bodies = options.map((o) => { const d = findDefinition(o.text); return d ? bodyFrom(d.text, d.at) : ''; });
  print('bodies: ' + bodies.map((b) => b.split('\n').length + ' lines').join(', '));
  const replies = await llm_query_batched(bodies.map((b, i) => 'Does the function \x60' + options[i].text + '\x60 below call \x60' + callee + '\x60 directly? Reply yes or no.\n\n' + b));
  print('calls ' + callee + ': ' + replies.join(', '));
  answer = yesLetter(replies);
} else if (/never referenced anywhere/.test(question)) {
  const code = [...files.values()].join('\n');
  const counts = options.map((o) => (code.match(wordRe(o.text)) || []).length);
  print('occurrences: ' + counts.join(', '));
  answer = options[counts.indexOf(Math.min(...counts))].letter;
} else if ((m = /How many parameters does the function \x60(\w+)\x60 declare\?/.exec(question))) {
  const d = findDefinition(m[1]);
  const rest = d.text.slice(d.at);
  print(rest.split('\n')[0]);
  let count;
  const bare = /^[\w$]+\s*[:=]\s*(?:async\s+)?([\w$]+)\s*=>/.exec(rest);
  if (bare && bare[1] !== 'function') count = 1;
  else {
    let depth = 0, commas = 0, inside = '';
    for (let i = rest.indexOf('(') + 1; i < rest.length; i++) {
      const c = rest[i];
      if (depth === 0 && c === ')') break;
      if ('([{<'.includes(c)) depth++;
      else if (')]}'.includes(c) || (c === '>' && rest[i - 1] !== '=')) depth--;
      else if (c === ',' && depth === 0) commas++;
      inside += c;
    }
    count = inside.trim() === '' ? 0 : inside.trim().endsWith(',') ? commas : commas + 1;
  }
  print('parameters: ' + count);
  answer = options.find((o) => o.text === String(count))?.letter;
} else if ((m = /does not import or require the (file|package) \x60([^\x60]+)\x60/.exec(question))) {
  const stem = (p) => p.replace(/\.[cm]?[jt]s$/, '').replace(/\/index$/, '');
  const resolve = (from, spec) => {
    const out = from.split('/').slice(0, -1);
    for (const part of spec.split('/')) if (part === '..') out.pop(); else if (part !== '.' && part !== '') out.push(part);
    return out.join('/');
  };
  const modulesOf = (path) => [...files.get(path).matchAll(/(?:\brequire\(\s*|\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)['"]([^'"]+)['"]/gm)].map((x) => x[1]).map((s) =>
    s.startsWith('.') ? stem(resolve(path, s)) : s.replace(/^node:/, '').split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/'));
  const target = m[1] === 'file' ? stem(m[2]) : m[2];
  const imports = options.map((o) => modulesOf(o.text).includes(target));
  print('imports ' + target + ': ' + imports.join(', '));
  answer = options[imports.indexOf(false)]?.letter;
}
print('answer: ' + answer);`}`;
}

/** The sub-model: answers the root's sub-questions about one file or one function by rule; undefined for any other prompt. */
export function codeQaSubAnswer(prompt: string): string | undefined {
  let m = /^Does this file define a function named `(\w+)`\? Reply yes or no\.\n\n==> .+ <==\n([\s\S]*)$/.exec(prompt);
  if (m) return definitionsIn(m[2]!, m[1]!).length > 0 ? 'yes' : 'no';
  m = /^Does the function `(\w+)` below call `(\w+)` directly\? Reply yes or no\.\n\n([\s\S]*)$/.exec(prompt);
  if (m) {
    // The function is shown from its first line; read it as the reader would, up to its end.
    const body = bodyAt(m[3]!, 0);
    return new RegExp(`(?<![\\w$])${m[2]}\\s*\\(`).test(body) ? 'yes' : 'no';
  }
  return undefined;
}
