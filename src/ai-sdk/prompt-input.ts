/**
 * An AI SDK prompt as an RLM's run: the last user message's text is the question. System
 * messages are instructions, so they go with the question, which the root model reads whole.
 * Everything else before the question (earlier turns, files, also those attached to the question)
 * is material: it becomes the REPL's `context`. With a fixed context (a corpus, a document given
 * to `rlmModel`), the material is that context, and earlier turns go with the question as the
 * conversation so far, so that a follow-up ("and the week before?") can be understood.
 */
import type { LanguageModelV4Message, LanguageModelV4Prompt } from '@ai-sdk/provider';
import { RlmError } from '../errors.ts';
import type { Corpus } from '../inputs/corpus.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import { fileText } from './file-text.ts';

/** What one RLM run is asked. */
export interface PromptRun {
  query: string;
  context: ContextValue | Corpus;
}

/** A piece of material: a message's text or a file's, with what it was for the labels of a list. */
interface Piece {
  label: string;
  text: string;
}

export async function promptRun(prompt: LanguageModelV4Prompt, fixedContext: ContextValue | Corpus | undefined): Promise<PromptRun> {
  const last = prompt.at(-1);
  if (last?.role !== 'user') {
    throw new RlmError(
      'RLM_INPUT',
      `rlmModel needs the prompt to end with a user message, the question; it ends with ${last ? `${/^[aeiou]/.test(last.role) ? 'an' : 'a'} ${last.role} message` : 'nothing'}`,
    );
  }
  const question = last.content
    .flatMap((part) => (part.type === 'text' ? [part.text] : []))
    .join('\n')
    .trim();
  if (question === '') throw new RlmError('RLM_INPUT', 'the last user message has no text: rlmModel takes it as the question');

  const instructions = prompt.flatMap((m) => (m.role === 'system' ? [m.content] : []));
  const earlier: Piece[] = [];
  for (const [index, message] of prompt.slice(0, -1).entries()) {
    if (message.role !== 'system') earlier.push(...(await piecesOf(message, index + 1, fixedContext !== undefined)));
  }
  const attached = await piecesOf(last, prompt.length, fixedContext !== undefined, 'files');

  const preface: string[] = [];
  if (instructions.length > 0) preface.push(`Instructions:\n${instructions.join('\n\n')}`);
  if (fixedContext !== undefined) {
    if (earlier.length > 0) preface.push(`The conversation so far:\n${earlier.map((p) => `${p.label}: ${p.text}`).join('\n\n')}`);
    return { query: withPreface(preface, question), context: fixedContext };
  }
  const material = [...earlier, ...attached];
  // One document is the context as it is; several are a list, each item saying what it was.
  const context = material.length === 1 ? material[0]!.text : material.map((p) => `${p.label}:\n${p.text}`);
  return { query: withPreface(preface, question), context: material.length === 0 ? '' : context };
}

function withPreface(preface: string[], question: string): string {
  return preface.length === 0 ? question : `${preface.join('\n\n')}\n\nQuestion: ${question}`;
}

/**
 * A message's text (its text parts joined) and its files. Reasoning is left out: it is the
 * model's own working (rlmModel's is its progress lines), not material. Tool calls and results
 * are refused: an RLM neither calls the caller's tools nor reads their results as such.
 */
async function piecesOf(message: LanguageModelV4Message, position: number, fixed: boolean, only?: 'files'): Promise<Piece[]> {
  if (message.role === 'system') return [];
  const pieces: Piece[] = [];
  const texts: string[] = [];
  for (const part of message.content) {
    switch (part.type) {
      case 'text':
        texts.push(part.text);
        break;
      case 'file': {
        const where =
          part.filename === undefined ? `message ${position}'s ${part.mediaType} file` : `message ${position}'s file "${part.filename}"`;
        if (fixed) throw new RlmError('RLM_INPUT', `${where}: this rlmModel was made over a fixed context; put files in that context`);
        pieces.push({ label: `file ${part.filename ?? `(${part.mediaType})`}`, text: await fileText(part, where) });
        break;
      }
      case 'reasoning':
      case 'reasoning-file':
        break;
      default:
        throw new RlmError('RLM_INPUT', `message ${position} has a ${part.type} part: rlmModel reads text and files only`);
    }
  }
  if (only === 'files' || texts.length === 0) return pieces;
  return [{ label: message.role, text: texts.join('\n') }, ...pieces];
}
