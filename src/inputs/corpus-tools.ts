/**
 * How model code reads a corpus's documents: `read_document` and `read_documents`, served on the
 * host from the corpus itself. They are the only way to an on-disk document's text, and they
 * work the same when the corpus is loaded, so the same code serves both. They name documents by
 * index or by their path in the corpus, never by a path of the machine's.
 */
import type { Bridge } from '../sandboxes/index.ts';
import type { Corpus } from './corpus.ts';

/** The functions the REPL gets for a corpus. */
export const CORPUS_TOOLS = ['read_document', 'read_documents'] as const;

/** Characters one call may bring back, a read of many documents all together: past it, read slices. */
export const MAX_READ_CHARS = 8_000_000;

/** The bridge, with the corpus's functions served before the user's tools. */
export function withCorpusTools(bridge: Bridge, corpus: Corpus): Bridge {
  const userTool = bridge.tool;
  return {
    ...bridge,
    tool: (name, args, signal) => {
      if (name === 'read_document') return readOne(corpus, args);
      if (name === 'read_documents') return readMany(corpus, args);
      if (!userTool) return Promise.reject(new Error(`no tool named ${name}`));
      return userTool(name, args, signal);
    },
  };
}

async function readOne(corpus: Corpus, args: unknown[]): Promise<string> {
  const [which, start, end] = args;
  const text = await corpus.read(which as number | string, bound(start, 'start'), bound(end, 'end'));
  if (text.length > MAX_READ_CHARS) throw tooMuch(text.length);
  return text;
}

/** `read_documents([0, 'a.md', [3, 0, 1000]])`: several documents or slices, in order. */
async function readMany(corpus: Corpus, args: unknown[]): Promise<string[]> {
  const [list] = args;
  if (!Array.isArray(list)) throw new TypeError('read_documents: pass a list of documents (indexes, paths, or [index, start, end])');
  const texts = await Promise.all(list.map((item: unknown) => readOne(corpus, Array.isArray(item) ? item : [item])));
  const total = texts.reduce((sum, text) => sum + text.length, 0);
  if (total > MAX_READ_CHARS) throw tooMuch(total);
  return texts;
}

function bound(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new TypeError(`read_document: ${name} must be a whole number of characters`);
  return value;
}

function tooMuch(chars: number): Error {
  return new RangeError(
    `${chars.toLocaleString('en-US')} characters at once, more than the ${MAX_READ_CHARS.toLocaleString('en-US')} a read may bring back: read fewer documents, or slices (read_document(i, start, end))`,
  );
}
