/**
 * A corpus: the documents found in the sources given, held in memory (loaded) or kept on disk
 * and read on demand, with what was skipped and why.
 */
import { readFile } from 'node:fs/promises';
import { RlmError } from '../errors.ts';
import type { JsonValue } from '../sandboxes/index.ts';
import type { DocumentInfo, LoadedDocument, SkippedFile } from './document.ts';
import { extract } from './extract.ts';
import { ExtractError } from './extractors/extract-error.ts';
import { formatBytes, summarize } from './summary.ts';
import { describeFsError } from './walk.ts';

/** How many on-disk documents' texts are kept after a read (a PDF's extraction is worth keeping). */
const TEXTS_KEPT = 4;

/** One document as the corpus holds it: where it lives, and its content when loaded. */
export interface CorpusEntry {
  readonly info: DocumentInfo;
  readonly abs: string;
  readonly loaded?: LoadedDocument;
}

/** What {@link Corpus} is made from (by {@link loadCorpus}). */
export interface CorpusInit {
  readonly entries: readonly CorpusEntry[];
  readonly skipped: readonly SkippedFile[];
  readonly onDisk: boolean;
  readonly sources: readonly string[];
  readonly maxFileBytes: number;
  /** The folder the sources were read from. */
  readonly cwd: string;
}

/** How a corpus was made, so that it can be made again (a trace records it; replay and resume reload it). */
export interface CorpusOrigin {
  readonly sources: readonly string[];
  readonly cwd: string;
  readonly maxFileBytes: number;
  readonly onDisk: boolean;
}

/**
 * The documents of one or more files, folders or globs, made by {@link loadCorpus}. The REPL
 * gets {@link Corpus.contextValue} as `context`; {@link Corpus.read} is the only way to an
 * on-disk document's text, and reads nothing but the files listed in `documents`.
 *
 * @example
 * const corpus = await loadCorpus(['./repo']);
 * console.log(corpus.summary());
 * const readme = await corpus.read('README.md', 0, 500);
 */
export class Corpus {
  /** The documents, in order: sources in the order given, then by path (code point order). */
  readonly documents: readonly DocumentInfo[];
  /** What was left out, and why. */
  readonly skipped: readonly SkippedFile[];
  /** Whether the documents stay on disk (`contextValue()` lists them; `read()` opens them). */
  readonly onDisk: boolean;
  /** The documents' total size on disk, in bytes. */
  readonly totalBytes: number;
  /** How it was made: the sources as given, from which folder, with which settings. */
  readonly origin: CorpusOrigin;

  readonly #entries: readonly CorpusEntry[];
  readonly #byPath: ReadonlyMap<string, number>;
  readonly #context: JsonValue;
  readonly #sources: readonly string[];
  readonly #maxFileBytes: number;
  /** The last few on-disk texts read, most recent last. */
  readonly #texts = new Map<number, Promise<string>>();

  /** Made by {@link loadCorpus}. */
  constructor(init: CorpusInit) {
    this.#entries = init.entries;
    this.documents = Object.freeze(init.entries.map((e) => Object.freeze({ ...e.info })));
    this.#byPath = new Map(init.entries.map((e, i) => [e.info.path, i]));
    this.skipped = Object.freeze(init.skipped.map((s) => Object.freeze({ ...s })));
    this.onDisk = init.onDisk;
    this.totalBytes = init.entries.reduce((sum, e) => sum + e.info.bytes, 0);
    this.#sources = init.sources;
    this.#maxFileBytes = init.maxFileBytes;
    this.origin = Object.freeze({ sources: [...init.sources], cwd: init.cwd, maxFileBytes: init.maxFileBytes, onDisk: init.onDisk });
    // Documents are plain JSON (strings, arrays, objects of them): what the REPL can be given.
    this.#context = (init.onDisk ? this.documents : init.entries.map((e) => e.loaded!)) as unknown as JsonValue;
  }

  /** What the REPL gets as `context`: a `LoadedDocument[]` when loaded, a `DocumentInfo[]` when on disk. */
  contextValue(): JsonValue {
    return this.#context;
  }

  /**
   * A document's text (by index or exact path), or the slice `[start, end)` of it in characters
   * (as `String.prototype.slice`). Throws `RlmError('RLM_INPUT')` for an unknown index or path,
   * or a file that can no longer be read.
   *
   * @example
   * const head = await corpus.read(0, 0, 1000);
   */
  async read(which: number | string, start?: number, end?: number): Promise<string> {
    const index = this.#indexOf(which);
    const text = await this.#text(index);
    return start === undefined && end === undefined ? text : text.slice(start, end);
  }

  /**
   * One line for the user: what was loaded and what was skipped and why, e.g. "1,000 files,
   * 4.2 MiB from ./repo (kept on disk); skipped: 3 ignored (node_modules/, dist/, .env), 2 binary
   * (logo.png, a.out), 1 over 10 MiB (big.log)".
   */
  summary(): string {
    return summarize({
      documents: this.documents.length,
      totalBytes: this.totalBytes,
      sources: this.#sources,
      onDisk: this.onDisk,
      skipped: this.skipped,
      maxFileBytes: this.#maxFileBytes,
    });
  }

  #indexOf(which: number | string): number {
    const count = this.documents.length;
    if (typeof which === 'number') {
      if (Number.isInteger(which) && which >= 0 && which < count) return which;
      throw new RlmError('RLM_INPUT', `no document ${which}: the corpus has ${count} (0 to ${count - 1})`);
    }
    const index = this.#byPath.get(which);
    if (index === undefined) throw new RlmError('RLM_INPUT', `no document ${JSON.stringify(which)} in the corpus`);
    return index;
  }

  #text(index: number): Promise<string> {
    const entry = this.#entries[index]!;
    if (entry.loaded !== undefined) return Promise.resolve(entry.loaded.text);
    let text = this.#texts.get(index);
    if (text === undefined) {
      text = readFromDisk(entry, this.#maxFileBytes);
      // A failed read is not kept: the file may be readable next time.
      text.catch(() => this.#texts.delete(index));
      if (this.#texts.size >= TEXTS_KEPT) this.#texts.delete(this.#texts.keys().next().value!);
    } else {
      this.#texts.delete(index);
    }
    this.#texts.set(index, text);
    return text;
  }
}

async function readFromDisk(entry: CorpusEntry, maxFileBytes: number): Promise<string> {
  const { path, kind } = entry.info;
  let content: Buffer;
  try {
    content = await readFile(entry.abs);
  } catch (error) {
    throw new RlmError('RLM_INPUT', `cannot read ${path}: ${describeFsError(error)}`, { cause: error });
  }
  if (content.length > maxFileBytes) {
    throw new RlmError(
      'RLM_INPUT',
      `cannot read ${path}: it grew to ${formatBytes(content.length)}, over the ${formatBytes(maxFileBytes)} limit`,
    );
  }
  try {
    return (await extract(kind, content, false)).text;
  } catch (error) {
    if (error instanceof ExtractError) throw new RlmError('RLM_INPUT', `cannot read ${path}: ${error.message}`, { cause: error });
    throw error;
  }
}
