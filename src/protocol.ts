/**
 * Reading a root model's reply: which code blocks run, and whether the reply ends the run.
 *
 * The rules (fixed, see ARCHITECTURE.md): code in ```repl or ```<language> fences runs, in order.
 * A final answer comes from code (FINAL / FINAL_VAR called in a cell). A reply with no code
 * block whose last line is FINAL(...) or FINAL_VAR(name) also ends the run. A FINAL written as
 * text beside a code block does not: the code runs and the model sees its output first.
 */

export type ReplLanguage = 'javascript' | 'python';

const FENCE_TAGS: Record<ReplLanguage, readonly string[]> = {
  javascript: ['repl', 'js', 'javascript', 'ts', 'typescript'],
  python: ['repl', 'python', 'py'],
};

export type TextFinal = { kind: 'value'; value: string } | { kind: 'variable'; name: string };

export interface ParsedReply {
  /** Code of the runnable blocks, in order. */
  code: string[];
  /** A FINAL/FINAL_VAR on the last line of a reply without code. */
  final?: TextFinal;
  /** The reply has FINAL(...) as text but also code, so it was not taken as the answer. */
  ignoredFinal: boolean;
}

export function parseReply(reply: string, language: ReplLanguage): ParsedReply {
  const code = codeBlocks(reply, language);
  const outside = stripFences(reply);
  const final = lastLineFinal(outside);
  if (code.length > 0) return { code, ignoredFinal: final !== undefined || /\bFINAL(_VAR)?\s*\(/.test(outside) };
  return final ? { code, final, ignoredFinal: false } : { code, ignoredFinal: false };
}

/** The bodies of fenced blocks whose tag is runnable in `language`. */
export function codeBlocks(reply: string, language: ReplLanguage): string[] {
  const tags = FENCE_TAGS[language];
  const blocks: string[] = [];
  // A fence opens with ``` (or more) plus a tag, and closes with the same fence on its own line.
  const fence = /^([ \t]*)(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)^[ \t]*\2[ \t]*$/gm;
  for (const match of reply.matchAll(fence)) {
    const tag = (match[3] ?? '').toLowerCase();
    if (tags.includes(tag)) blocks.push(match[4]!.replace(/\n$/, ''));
  }
  return blocks.filter((b) => b.trim().length > 0);
}

/** The reply without its fenced blocks: what it says outside code. */
export function stripFences(reply: string): string {
  return reply.replace(/^[ \t]*(`{3,}|~{3,})[^\n]*\n[\s\S]*?^[ \t]*\1[ \t]*$/gm, '');
}

/** FINAL(...) or FINAL_VAR(...) on the reply's last non-empty line. */
export function lastLineFinal(text: string): TextFinal | undefined {
  const lines = text.trimEnd().split('\n');
  // The call may span several lines: find the last line that starts one, and take it to the end.
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 50; i--) {
    const tail = lines.slice(i).join('\n').trim().replace(/^[*_`>\s]+|[*_`\s]+$/g, '');
    const variable = /^FINAL_VAR\(\s*["'`]?([A-Za-z_$][\w$]*)["'`]?\s*\)$/.exec(tail);
    if (variable) return { kind: 'variable', name: variable[1]! };
    const value = /^FINAL\(([\s\S]*)\)$/.exec(tail);
    // FINAL() with nothing in it is no answer.
    if (value) return value[1]!.trim() ? { kind: 'value', value: unquote(value[1]!.trim()) } : undefined;
    if (/^FINAL(_VAR)?\(/.test(tail)) return undefined;
  }
  return undefined;
}

function unquote(text: string): string {
  const quoted = /^(["'`])([\s\S]*)\1$/.exec(text);
  if (!quoted) return text;
  if (quoted[1] === '"') {
    try {
      return JSON.parse(text) as string;
    } catch {
      return quoted[2]!;
    }
  }
  return quoted[2]!;
}
