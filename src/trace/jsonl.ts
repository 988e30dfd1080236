/**
 * A JSONL trace: a header line, then one event a line, appended as the run goes. It grows with
 * the run, never with its history: the context is stored once (in the header, or as a reference
 * to its file and that file's hash), model calls carry only the messages new to their
 * conversation, and replies appear once. Events hold no API keys: models are named by id only.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Corpus, CorpusOrigin } from '../inputs/corpus.ts';
import { isCorpus } from '../inputs/is-corpus.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import type { RlmEvent } from './events.ts';

export const TRACE_VERSION = 1;

export type TraceContext =
  | { inline: ContextValue }
  /**
   * A corpus of files, by how it was made: replay and resume read the files again, and check them
   * against the hash of the documents' list (paths, kinds and sizes).
   */
  | { corpus: CorpusOrigin; documents: string }
  | {
      /** The context file's absolute path. */
      file: string;
      /** The same file from the trace's folder, so that a folder moved whole still replays (absent in older traces). */
      relativeFile?: string;
      sha256: string;
      chars: number;
    };

/** The first line of a trace file: its version, and how to find the run's context. */
export interface TraceHeader {
  type: 'trace';
  version: number;
  createdAt: string;
  context: TraceContext;
}

/**
 * Where a resumed run's next attempt begins, in the same file: the events after it are that
 * attempt's, their times counted from this line.
 */
export interface TraceResume {
  type: 'resume';
  createdAt: string;
}

/** A trace line: the header, a resume, or an event with its time in ms since its attempt began. */
export type TraceLine = TraceHeader | TraceResume | (RlmEvent & { t: number });

/** Where a trace is written and how it keeps the context. */
export interface JsonlTraceOptions {
  /** The run's context, stored once in the header (a corpus, by its sources)... */
  context: ContextValue | Corpus;
  /** ...or, when it is the whole of one file, only that file's path and hash. */
  contextFile?: string;
  /**
   * Store the context itself even when `contextFile` is given, so that the trace replays on a
   * machine without that file (`rlm ask --trace-context=embed`).
   */
  embedContext?: boolean;
  /**
   * Append to the trace of an earlier attempt of the same run, which is being resumed, instead of
   * starting a new file: it keeps every reply that attempt paid for, whatever stops this one.
   */
  resume?: boolean;
}

/**
 * Writes a run's events to a JSONL file as they happen, one event a line. Each line reaches the
 * file before the run goes on, so a crash or a kill -9 of the process leaves the
 * trace readable up to its last whole line, with every reply paid for so far: what
 * `rlm ask --resume` needs. `rlm view` and `replayTrace` read it too.
 *
 * @example
 * const trace = new JsonlTrace('run.jsonl', { context });
 * await new RLM({ model, onEvent: trace.onEvent }).run({ context, query });
 * await trace.close();
 */
export class JsonlTrace {
  #fd: number | undefined;
  readonly #started = performance.now();

  constructor(path: string, options: JsonlTraceOptions) {
    this.#fd = openSync(path, options.resume ? 'a' : 'w');
    try {
      const first: TraceHeader | TraceResume = options.resume
        ? { type: 'resume', createdAt: new Date().toISOString() }
        : { type: 'trace', version: TRACE_VERSION, createdAt: new Date().toISOString(), context: traceContext(path, options) };
      this.#write(first);
    } catch (error) {
      // A header that cannot be made (a context nested too deep to write) or written: no handle is left open.
      closeSync(this.#fd);
      this.#fd = undefined;
      throw error;
    }
  }

  /** The sink to hand the run: writes each event as one line. */
  readonly onEvent = (event: RlmEvent): void => {
    this.#write({ t: Math.round(performance.now() - this.#started), ...event });
  };

  // One write a line, synchronous: a line is whole in the file (or not there) whenever the process dies.
  #write(line: TraceLine): void {
    if (this.#fd !== undefined) writeSync(this.#fd, `${JSON.stringify(line)}\n`);
  }

  /** Ends the file; later events are dropped. */
  close(): Promise<void> {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    return Promise.resolve();
  }
}

function traceContext(tracePath: string, options: JsonlTraceOptions): TraceContext {
  if (isCorpus(options.context)) return { corpus: options.context.origin, documents: documentsHash(options.context) };
  if (options.contextFile && typeof options.context === 'string' && !options.embedContext) {
    const file = resolve(options.contextFile);
    const fromTrace = relative(dirname(resolve(tracePath)), file);
    // On another drive (Windows) there is no relative path: the absolute one is all there is.
    // Written with '/', which every platform reads, so a trace moves between systems too.
    const relativeFile = isAbsolute(fromTrace) ? undefined : fromTrace.split(sep).join('/');
    return {
      file,
      ...(relativeFile === undefined ? {} : { relativeFile }),
      sha256: sha256(options.context),
      chars: options.context.length,
    };
  }
  return { inline: options.context };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What a corpus's documents are, in one hash: their paths, kinds and sizes, in order. */
export function documentsHash(corpus: Corpus): string {
  return sha256(JSON.stringify(corpus.documents.map((d) => [d.path, d.kind, d.bytes])));
}
