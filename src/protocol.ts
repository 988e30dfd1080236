/**
 * Reading a root model's reply: which code blocks run, and whether the reply ends the run.
 *
 * The rules (fixed, see ARCHITECTURE.md): code in ```repl or ```<language> fences runs, in order.
 * A final answer comes from code (FINAL / FINAL_VAR called in a cell). A reply with no code
 * block whose last line is FINAL(...) or FINAL_VAR(name) also ends the run. A FINAL written as
 * text beside a code block does not: the code runs and the model sees its output first.
 */
import type { ReplLanguage } from './sandboxes/index.ts';

const FENCE_TAGS: Record<ReplLanguage, readonly string[]> = {
  javascript: ['repl', 'js', 'javascript', 'ts', 'typescript'],
  python: ['repl', 'python', 'py'],
};

export type TextFinal = { kind: 'value'; value: string } | { kind: 'variable'; name: string };

/** What a model's reply asks for: the code blocks to run, and a final answer if it gives one without code. */
export interface ParsedReply {
  /** Code of the runnable blocks, in order. */
  code: string[];
  /** A FINAL/FINAL_VAR on the last line of a reply without code. */
  final?: TextFinal;
  /** The reply has FINAL(...) as text but also code, so it was not taken as the answer. */
  ignoredFinal: boolean;
}

/** Reads a root model's reply: its code blocks for `language`'s REPL, and a FINAL written alone on its last line. */
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
  return scanFences(reply)
    .blocks.filter((block) => tags.includes(block.tag) && block.body.trim().length > 0)
    .map((block) => block.body);
}

/** The reply without its fenced blocks: what it says outside code. */
export function stripFences(reply: string): string {
  return scanFences(reply).outside;
}

interface FencedBlock {
  tag: string;
  body: string;
}

/** A line that opens a fence: ``` (or more, or ~~~) and an optional tag. */
const OPENING = /^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)/;
/** A line that is a fence alone, which closes a block opened by the same fence. */
const BARE = /^[ \t]*(`{3,}|~{3,})[ \t\r]*$/;

/**
 * Splits a reply into fenced blocks and the text outside them, line by line. A fence opens with
 * ``` (or more) and a tag, and closes with the same fence alone on a later line; an opening with
 * no close is text. Each line is looked at a bounded number of times, so no reply, however
 * hostile (a model can be steered to write anything), takes more than linear time.
 */
function scanFences(reply: string): { blocks: FencedBlock[]; outside: string } {
  const lines = reply.split('\n');
  // Where each bare fence stands, so an opening finds its close without scanning ahead.
  const closes = new Map<string, number[]>();
  lines.forEach((line, index) => {
    const fence = BARE.exec(line)?.[1];
    if (fence) (closes.get(fence) ?? closes.set(fence, []).get(fence)!).push(index);
  });
  const next = new Map<string, number>();
  const closeAfter = (fence: string, index: number): number | undefined => {
    const at = closes.get(fence);
    if (!at) return undefined;
    let cursor = next.get(fence) ?? 0;
    while (cursor < at.length && at[cursor]! <= index) cursor++;
    next.set(fence, cursor);
    return at[cursor];
  };
  const blocks: FencedBlock[] = [];
  const outside: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const opening = OPENING.exec(lines[index]!);
    const close = opening ? closeAfter(opening[1]!, index) : undefined;
    if (!opening || close === undefined) {
      outside.push(lines[index]!);
      continue;
    }
    blocks.push({ tag: opening[2]!.toLowerCase(), body: lines.slice(index + 1, close).join('\n') });
    outside.push('');
    index = close;
  }
  return { blocks, outside: outside.join('\n') };
}

/** FINAL(...) or FINAL_VAR(...) on the reply's last non-empty line. */
export function lastLineFinal(text: string): TextFinal | undefined {
  const lines = text.trimEnd().split('\n');
  // The call may span several lines: find the last line that starts one, and take it to the end.
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 50; i--) {
    const tail = trimMarkup(lines.slice(i).join('\n').trim());
    const variable = /^FINAL_VAR\(\s*["'`]?([A-Za-z_$][\w$]*)["'`]?\s*\)$/.exec(tail);
    if (variable) return { kind: 'variable', name: variable[1]! };
    const value = /^FINAL\(([\s\S]*)\)$/.exec(tail);
    // FINAL() with nothing in it is no answer.
    if (value) return value[1]!.trim() ? { kind: 'value', value: unquote(value[1]!.trim()) } : undefined;
    if (/^FINAL(_VAR)?\(/.test(tail)) return undefined;
  }
  return undefined;
}

/** Markdown emphasis and quoting around a line (`**FINAL(x)**`, `> FINAL(x)`), taken off by a loop, not a regex that could backtrack. */
function trimMarkup(text: string): string {
  const leading = (c: string) => c === '*' || c === '_' || c === '`' || c === '>' || /\s/.test(c);
  const trailing = (c: string) => c !== '>' && leading(c);
  let start = 0;
  let end = text.length;
  while (start < end && leading(text[start]!)) start++;
  while (end > start && trailing(text[end - 1]!)) end--;
  return text.slice(start, end);
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
