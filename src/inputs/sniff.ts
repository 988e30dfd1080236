/**
 * Telling a file's kind from its name and its first bytes ({@link HEAD_BYTES}), without reading
 * the rest: the extension proposes, the content decides (a `.pdf` must start like a PDF, a
 * `.txt` that starts with `<!doctype html>` is HTML, a file with a NUL byte is binary).
 */
import { extname } from 'node:path';
import type { DocumentKind } from './document.ts';

/** A document kind, or why the file is not one. */
export type Sniffed = { kind: DocumentKind } | { binary: 'nul' | 'not-utf8' } | { bad: string };

const PDF_MAGIC = Buffer.from('%PDF-');
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const HTML_EXTENSIONS = new Set(['.html', '.htm', '.xhtml']);
const JSONL_EXTENSIONS = new Set(['.jsonl', '.ndjson']);
// Comments and whitespace may come before the doctype or the <html> tag.
const HTML_START = /^(?:\s|<!--[\s\S]*?-->)*<(?:!doctype\s+html|html)[\s>]/i;

/**
 * The kind of a file named `name` whose first bytes are `head`; `complete` says whether `head` is
 * the whole file (then a multi-byte character cut at its end is an error, not a cut).
 */
export function sniff(name: string, head: Uint8Array, complete: boolean): Sniffed {
  const ext = extname(name).toLowerCase();
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  // A .pdf's header may follow a little junk (readers look in its first 1024 bytes); any other
  // file must start with it, or a note quoting "%PDF-1.4" would be taken for a PDF.
  if (bytes.subarray(0, ext === '.pdf' ? 1024 : PDF_MAGIC.length).includes(PDF_MAGIC)) return { kind: 'pdf' };
  if (ext === '.pdf') return { bad: 'not a PDF (bad header)' };
  if (bytes.subarray(0, 4).equals(ZIP_MAGIC)) {
    // word/document.xml need not be among the first entries, so a .docx is trusted by name; a
    // zip of another name is a DOCX only when its first entries show the Word part.
    if (ext === '.docx' || bytes.includes('word/document.xml')) return { kind: 'docx' };
    return { binary: 'nul' };
  }
  if (ext === '.docx') return { bad: 'not a DOCX (bad header)' };
  if (bytes.includes(0)) return { binary: 'nul' };
  const text = decodeHead(bytes, complete);
  if (text === undefined) return { binary: 'not-utf8' };
  if (HTML_EXTENSIONS.has(ext) || HTML_START.test(text)) return { kind: 'html' };
  // JSON (and each JSON Lines line) starts with one of these; anything else is text by that name.
  const first = text.trimStart()[0];
  const startsLikeJson = first !== undefined && /[[{"\-0-9tfn]/.test(first);
  if (ext === '.json' && startsLikeJson) return { kind: 'json' };
  if (JSONL_EXTENSIONS.has(ext) && (first === undefined || startsLikeJson)) return { kind: 'jsonl' };
  if (ext === '.csv') return { kind: 'csv' };
  return { kind: 'text' };
}

/** The head as text (without a BOM), or undefined when it is not UTF-8. */
function decodeHead(bytes: Buffer, complete: boolean): string | undefined {
  try {
    // In stream mode a character cut by the end of the head is kept for later, not an error.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete });
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    return undefined;
  }
}
