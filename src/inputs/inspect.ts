/**
 * One candidate file's way into a corpus: its size, then either its first bytes (kept on disk:
 * kind and binary check only) or all of it, extracted (loaded). A problem is returned, not
 * thrown, so that the caller decides: an error for a file the user named, a skip in a folder.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { HEAD_BYTES, type DocumentKind, type LoadedDocument, type SkippedFile } from './document.ts';
import { extract } from './extract.ts';
import { ExtractError } from './extractors/extract-error.ts';
import { formatBytes } from './summary.ts';
import { sniff } from './sniff.ts';
import type { Candidate } from './sources.ts';
import { describeFsError } from './walk.ts';

/** Why a file is not a document: how it is listed when skipped, and the error's words when named. */
export interface Problem {
  readonly skip: SkippedFile;
  readonly message: string;
}

const BINARY_MESSAGE = 'a binary file (neither text nor a pdf, docx, html, json, jsonl or csv document)';
const NOT_UTF8_MESSAGE = 'not UTF-8 text (nor a pdf or docx document); convert it, e.g. iconv -f latin1 -t utf-8';

/** The file's size, or why it will not be read. */
export async function sizeOf(candidate: Candidate, maxFileBytes: number): Promise<number | Problem> {
  let bytes: number;
  try {
    const stats = await stat(candidate.abs);
    if (!stats.isFile()) return unreadable(candidate, 'not a regular file');
    bytes = stats.size;
  } catch (error) {
    return unreadable(candidate, describeFsError(error));
  }
  if (bytes > maxFileBytes) {
    return {
      skip: { path: candidate.path, reason: 'too-large', bytes },
      message: `${formatBytes(bytes)}, over the ${formatBytes(maxFileBytes)} limit (maxFileBytes)`,
    };
  }
  return bytes;
}

/** The kind of a file kept on disk, from its first bytes only. */
export async function sniffOnDisk(candidate: Candidate, bytes: number): Promise<DocumentKind | Problem> {
  let head: Buffer;
  try {
    const file = await open(candidate.abs, 'r');
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (error) {
    return unreadable(candidate, describeFsError(error));
  }
  return kindOf(candidate, head, head.length >= bytes);
}

/** A file read whole and extracted. */
export async function loadWhole(candidate: Candidate, bytes: number): Promise<LoadedDocument | Problem> {
  let content: Buffer;
  try {
    content = await readFile(candidate.abs);
  } catch (error) {
    return unreadable(candidate, describeFsError(error));
  }
  const kind = kindOf(candidate, content.subarray(0, HEAD_BYTES), content.length <= HEAD_BYTES);
  if (typeof kind !== 'string') return kind;
  try {
    return { path: candidate.path, bytes, ...(await extract(kind, content)) };
  } catch (error) {
    if (error instanceof ExtractError) return unreadable(candidate, error.message);
    throw error;
  }
}

function kindOf(candidate: Candidate, head: Buffer, complete: boolean): DocumentKind | Problem {
  const sniffed = sniff(candidate.path, head, complete);
  if ('kind' in sniffed) return sniffed.kind;
  if ('bad' in sniffed) return unreadable(candidate, sniffed.bad);
  return { skip: { path: candidate.path, reason: 'binary' }, message: sniffed.binary === 'nul' ? BINARY_MESSAGE : NOT_UTF8_MESSAGE };
}

function unreadable(candidate: Candidate, why: string): Problem {
  return { skip: { path: candidate.path, reason: 'unreadable', detail: why }, message: why };
}
