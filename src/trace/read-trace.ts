/**
 * Reading a trace file: its header, the events of each attempt of the run, and the run's context
 * from wherever the trace keeps it. What replay, resume and the viewer start from.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RlmError } from '../errors.ts';
import type { Corpus } from '../inputs/corpus.ts';
import { isCorpus } from '../inputs/is-corpus.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import type { RlmEvent, RunSettings } from './events.ts';
import { documentsHash, sha256, type TraceHeader, type TraceLine } from './jsonl.ts';

/** A trace file as read: its header and its events. */
export interface Trace {
  header: TraceHeader;
  /** The events of the run's last attempt (of the whole run, when it was never resumed). */
  events: Array<RlmEvent & { t: number }>;
  /** The events of the attempts a resume took over from, oldest first; none when it was never resumed. */
  earlier?: Array<RlmEvent & { t: number }>;
  /** The time the run's attempts took, all together (each to its last event). */
  elapsedMs?: number;
  /** Each attempt's events, oldest first: `earlier`'s, then `events`. */
  attempts?: Array<Array<RlmEvent & { t: number }>>;
  /** Where the trace was read from: a context file is also looked for relative to its folder. */
  path?: string;
}

/**
 * Reads a trace file written by {@link JsonlTrace}. A last line cut short (the process died while
 * writing it) is left out; any other line that is not an event is one clear error.
 */
export async function readTrace(path: string): Promise<Trace> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RlmError('RLM_INPUT', `cannot read the trace ${path}`);
  }
  const lines = text.split('\n');
  // Only a line with no newline after it can have been cut short.
  const torn = lines.pop() ?? '';
  const parsed: TraceLine[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      parsed.push(JSON.parse(line) as TraceLine);
    } catch {
      throw new RlmError('RLM_INPUT', `${path} is not a JSONL trace (line ${index + 1} is not JSON)`);
    }
  }
  if (torn.trim() !== '') {
    try {
      parsed.push(JSON.parse(torn) as TraceLine);
    } catch {
      // the process died mid-line: the trace ends at the line before
    }
  }
  // Lines are read as events by type: anything else (a number, null, an object with no type) stops here.
  const odd = parsed.findIndex(
    (line) => typeof line !== 'object' || line === null || typeof (line as { type?: unknown }).type !== 'string',
  );
  if (odd >= 0) throw new RlmError('RLM_INPUT', `${path} is not an rlm trace (a line is not an event)`);
  const [header, ...rest] = parsed;
  if (header?.type !== 'trace') throw new RlmError('RLM_INPUT', `${path} is not an rlm trace (no header line)`);
  const context = header.context as Partial<Record<string, unknown>> | undefined;
  if (typeof context !== 'object' || context === null || !('inline' in context || 'file' in context || 'corpus' in context)) {
    throw new RlmError('RLM_INPUT', `${path} is not an rlm trace (its header says nothing of the context)`);
  }
  const attempts: Array<Trace['events']> = [[]];
  for (const line of rest) {
    if (line.type === 'resume') attempts.push([]);
    else if (line.type !== 'trace') attempts.at(-1)!.push(line);
  }
  const elapsedMs = attempts.reduce((sum, attempt) => sum + (attempt.at(-1)?.t ?? 0), 0);
  const events = attempts.at(-1)!;
  return { header, events, earlier: attempts.slice(0, -1).flat(), elapsedMs, attempts, path: resolve(path) };
}

/**
 * The recorded context: given, stored in the trace, read from its file (where it was, or beside
 * the trace), or, for a corpus, its files read again as they were read then.
 */
export async function contextOf(trace: Trace, given: ContextValue | Corpus | undefined): Promise<ContextValue | Corpus> {
  const recorded = trace.header.context;
  if ('corpus' in recorded) {
    if (given !== undefined) return given;
    const { sources, cwd, maxFileBytes, onDisk } = recorded.corpus;
    const corpus = await (await import('../inputs/load-corpus.ts')).loadCorpus(sources, { cwd, maxFileBytes, onDisk });
    if (documentsHash(corpus) !== recorded.documents)
      throw new RlmError(
        'RLM_INPUT',
        `the files of ${sources.join(', ')} have changed since the trace was written (added, removed or resized): the recorded run cannot be taken up over them`,
      );
    return corpus;
  }
  if (given !== undefined) {
    if (isCorpus(given)) throw new RlmError('RLM_INPUT', 'the trace was recorded over one context, not over files: pass that context');
    const same =
      'inline' in recorded
        ? JSON.stringify(given) === JSON.stringify(recorded.inline)
        : typeof given === 'string' && sha256(given) === recorded.sha256;
    if (!same)
      throw new RlmError('RLM_INPUT', 'the context given differs from the one the trace was recorded with (its hash or its value)');
    return given;
  }
  if ('inline' in recorded) return recorded.inline;
  const { file, relativeFile, sha256: expected } = recorded;
  const places = [file, ...(relativeFile !== undefined && trace.path !== undefined ? [resolve(dirname(trace.path), relativeFile)] : [])];
  let changed: string | undefined;
  for (const place of places) {
    let text: string;
    try {
      text = await readFile(place, 'utf8');
    } catch {
      continue;
    }
    if (sha256(text) === expected) return text;
    changed ??= place;
  }
  if (changed !== undefined) {
    throw new RlmError(
      'RLM_INPUT',
      `the context file ${changed} has changed since the trace was written (its hash differs); pass the original with rlm replay --context <file>`,
    );
  }
  const beside = relativeFile === undefined ? '' : ` nor at ${relativeFile} beside the trace`;
  throw new RlmError(
    'RLM_INPUT',
    `the trace's context file is not at ${file}${beside}: pass the context (rlm replay --context <file>), or record with --trace-context=embed to keep it in the trace`,
  );
}

type RunStart = Extract<RlmEvent, { type: 'run-start' }>;

/**
 * The recorded run's root start, with its settings checked as far as a run again needs them: a
 * trace written by hand or damaged is one clear error, not a failure deep in the run.
 */
export function recordedStart(trace: Trace): RunStart & { settings: RunSettings } {
  const all = [...(trace.earlier ?? []), ...trace.events];
  const start = all.find((e): e is RunStart & { t: number } => e.type === 'run-start' && e.depth === 0);
  const where = trace.path ?? 'the trace';
  if (!start || start.method !== undefined || start.settings === undefined) {
    throw new RlmError('RLM_INPUT', `${where} has no RLM run to take up (no root run-start with its settings)`);
  }
  const s = start.settings as unknown as Record<string, unknown> | null;
  const wrong =
    typeof start.query !== 'string'
      ? 'query'
      : typeof s !== 'object' || s === null
        ? 'settings'
        : !Array.isArray(s.models) || s.models.length === 0 || !s.models.every((m) => typeof m === 'string')
          ? 'models'
          : (['maxIterations', 'maxDepth', 'maxOutputChars', 'cellTimeoutMs', 'compactAt'] as const).find((k) => typeof s[k] !== 'number');
  if (wrong) throw new RlmError('RLM_INPUT', `${where} is damaged: its run's ${wrong} is not what rlm writes`);
  return start as RunStart & { settings: RunSettings };
}
