/**
 * CSV as RFC 4180 writes it: fields apart by commas, records by CRLF or LF, a field in double
 * quotes may hold commas, line breaks and doubled quotes (`""`). Lenient where files in the wild
 * are (a quote inside an unquoted field is kept as written; so is text after a closing quote),
 * strict only where the data would be lost: a quoted field that never closes is an error.
 */
import { ExtractError } from './extract-error.ts';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/** The records of a CSV text, each a list of fields. Blank lines are skipped. */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let row: string[] = [];
  while (i < n) {
    let field = '';
    const quoted = text.charCodeAt(i) === QUOTE;
    if (quoted) {
      const startLine = line;
      i++;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close === -1) throw new ExtractError(`unterminated quoted field starting on line ${startLine}`);
        const chunk = text.slice(i, close);
        field += chunk;
        line += countLineFeeds(chunk);
        if (text.charCodeAt(close + 1) === QUOTE) {
          field += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
    }
    let end = i;
    while (end < n) {
      const c = text.charCodeAt(end);
      if (c === COMMA || c === LF || c === CR) break;
      end++;
    }
    field += text.slice(i, end);
    i = end;
    row.push(field);
    if (i < n && text.charCodeAt(i) === COMMA) {
      i++;
      // A comma at the very end still opens one last, empty field.
      if (i === n) row.push('');
      continue;
    }
    // End of a record: a line break (CRLF, LF or a lone CR) or the end of the text.
    if (i < n) {
      i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
    }
    const blank = row.length === 1 && field === '' && !quoted;
    if (!blank) rows.push(row);
    row = [];
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

/**
 * The records of a CSV text as objects keyed by its header row, every value the string as
 * written. A missing trailing field reads as ''; a field past the header, and a header cell that
 * is empty, is named `column_N` (N from 1); a repeated header name gets `_2`, `_3`...
 */
export function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsvRows(text);
  if (header === undefined) return [];
  const names = uniqueNames(header);
  return rows.map((row) => {
    const entries: [string, string][] = [];
    for (let j = 0; j < Math.max(names.length, row.length); j++) entries.push([names[j] ?? `column_${j + 1}`, row[j] ?? '']);
    // fromEntries defines own properties, so a column named __proto__ is data, not a prototype.
    return Object.fromEntries(entries);
  });
}

function uniqueNames(header: readonly string[]): string[] {
  const taken = new Set<string>();
  return header.map((cell, j) => {
    const base = cell === '' ? `column_${j + 1}` : cell;
    let name = base;
    for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  });
}

function countLineFeeds(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}
