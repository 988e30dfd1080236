/** The one line that tells the user what a corpus holds and what it left out, and why. */
import type { SkippedFile } from './document.ts';

/** How many names are shown per reason before "+N more". */
const NAMES_SHOWN = 3;

const REASONS: readonly SkippedFile['reason'][] = ['ignored', 'binary', 'too-large', 'unreadable-link', 'unreadable'];

export interface SummaryFacts {
  readonly documents: number;
  readonly totalBytes: number;
  readonly sources: readonly string[];
  readonly onDisk: boolean;
  readonly skipped: readonly SkippedFile[];
  readonly maxFileBytes: number;
}

/**
 * E.g. "1,000 files, 4.2 MiB from ./repo (kept on disk); skipped: 3 ignored (node_modules/,
 * dist/, .env), 2 binary (logo.png, a.out), 1 over 10 MiB (big.log)".
 */
export function summarize(facts: SummaryFacts): string {
  const count = facts.documents.toLocaleString('en-US');
  let line = `${count} ${facts.documents === 1 ? 'file' : 'files'}, ${formatBytes(facts.totalBytes)} from ${facts.sources.map(shownPath).join(', ')}`;
  if (facts.onDisk) line += ' (kept on disk)';
  const skipped = skippedSummary(facts.skipped, facts.maxFileBytes);
  return skipped === '' ? line : `${line}; skipped: ${skipped}`;
}

/** E.g. "3 ignored (node_modules/, dist/, .env), 2 binary (logo.png, a.out)"; '' when nothing was skipped. */
export function skippedSummary(skipped: readonly SkippedFile[], maxFileBytes: number): string {
  const parts: string[] = [];
  for (const reason of REASONS) {
    const names = skipped.filter((s) => s.reason === reason).map((s) => shownPath(s.path));
    if (names.length === 0) continue;
    const shown = names.slice(0, NAMES_SHOWN);
    if (names.length > NAMES_SHOWN) shown.push(`+${(names.length - NAMES_SHOWN).toLocaleString('en-US')} more`);
    parts.push(`${names.length.toLocaleString('en-US')} ${label(reason, names.length, maxFileBytes)} (${shown.join(', ')})`);
  }
  return parts.join(', ');
}

function label(reason: SkippedFile['reason'], count: number, maxFileBytes: number): string {
  switch (reason) {
    case 'too-large':
      return `over ${formatBytes(maxFileBytes)}`;
    case 'unreadable-link':
      return count === 1 ? 'unreadable link' : 'unreadable links';
    default:
      return reason;
  }
}

/**
 * A file's name as it is shown, to a person or to the model: quoted as JSON (`"a\nb"`) when it
 * holds a control or direction character, so that no name can send an escape sequence to a
 * terminal, break a line to forge one, or pass for text of rlm's own.
 */
export function shownPath(path: string): string {
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(path) ? JSON.stringify(path) : path;
}

/** A size in binary units, e.g. "512 bytes", "4.2 MiB", "10 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value).toString();
  return `${shown} ${units[unit]}`;
}
