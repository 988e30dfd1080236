/**
 * A chat conversation as one RLM run: which words are the question, and which are the material
 * the REPL's `context` holds.
 *
 * - The last message must be the user's: its text is the question.
 * - System (and developer) messages are instructions: they go with the question, which the root
 *   model reads whole, unless one is long (past {@link LONG_TEXT_CHARS}), when it is material.
 * - Every earlier message and every attached file, those of the last message included, is
 *   material. One piece is the context as it is; several are a list, one item per message or
 *   file, each starting with a line that says what it is (`user (message 3):`). A list keeps the
 *   pieces apart where the root model can see them: the metadata it is shown gives the number of
 *   items and each one's length, so it can read the pasted file and skip the small talk.
 * - A last message past {@link LONG_TEXT_CHARS} is, in chat UIs, a pasted document with the
 *   question somewhere in it (Open WebUI and LibreChat send a pasted text inline). Given whole as
 *   the question it would fill the root model's window on every turn, which is what an RLM is
 *   there to avoid. So it is material too, the context's last item, and the question tells the
 *   model so and shows its beginning and its end, marked as excerpts, where a question usually is.
 * - With a corpus model the context is the corpus. Earlier turns go with the question as the
 *   conversation so far, so a follow-up ("and in the other file?") can be understood; a file
 *   attached to a message is refused, since the corpus is what that model reads.
 */
import type { Corpus } from '../inputs/corpus.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import { filePartText, type FilePart } from './file-part.ts';
import { badParameter } from './http-error.ts';

/** A text longer than this, in a system message or as the question, goes into the context. */
export const LONG_TEXT_CHARS = 8_000;
/** How much of the start and the end of a long last message the question quotes. */
const EXCERPT_CHARS = 300;

/** What one run is asked. */
export interface ChatRun {
  query: string;
  context: ContextValue | Corpus;
}

interface Piece {
  label: string;
  text: string;
}

interface MessageText {
  role: string;
  text: string;
  files: Piece[];
}

/** The question and the context of a conversation; a 400 naming the message or part it cannot take. */
export async function chatRun(messages: unknown, corpus: { name: string; corpus: Corpus } | undefined): Promise<ChatRun> {
  if (!Array.isArray(messages) || messages.length === 0) throw badParameter('messages', 'messages must be a non-empty array');
  const read: MessageText[] = [];
  for (const [index, message] of messages.entries()) read.push(await readMessage(message, index, corpus?.name));
  const last = read.at(-1)!;
  if (last.role !== 'user') throw badParameter('messages', `the last message must be the user's question; it is a ${last.role} message`);
  const question = last.text.trim();
  if (question === '')
    throw badParameter(`messages[${read.length - 1}].content`, 'the last user message has no text: it is taken as the question');

  const instructions: string[] = [];
  const material: Piece[] = [];
  for (const [index, message] of read.slice(0, -1).entries()) {
    const label = `${message.role} (message ${index + 1})`;
    if (isInstruction(message.role) && message.text.length <= LONG_TEXT_CHARS) instructions.push(message.text);
    else if (message.text.trim() !== '') material.push({ label, text: message.text });
    material.push(...message.files);
  }
  material.push(...last.files);

  const preface = instructions.length > 0 ? [`Instructions:\n${instructions.join('\n\n')}`] : [];
  if (corpus) {
    if (material.length > 0)
      preface.push(`The conversation so far:\n${material.map((piece) => `${piece.label}:\n${piece.text}`).join('\n\n')}`);
    return { query: withPreface(preface, question), context: corpus.corpus };
  }
  if (question.length <= LONG_TEXT_CHARS) return { query: withPreface(preface, question), context: contextOf(material) };

  material.push({ label: `user (message ${read.length}, the question)`, text: question });
  const where = material.length === 1 ? 'It is the context' : `It is the context's last item (context[${material.length - 1}])`;
  const long = [
    `The user's last message is long (${question.length.toLocaleString('en-US')} characters): a document and the question about it. ${where}, whole.`,
    `It begins (excerpt): «${question.slice(0, EXCERPT_CHARS)}»`,
    `It ends (excerpt): «${question.slice(-EXCERPT_CHARS)}»`,
    'Find the question in it and answer it.',
  ].join('\n');
  return { query: preface.length > 0 ? `${preface.join('\n\n')}\n\n${long}` : long, context: contextOf(material) };
}

function contextOf(material: Piece[]): ContextValue {
  if (material.length === 0) return '';
  if (material.length === 1) return material[0]!.text;
  return material.map((piece) => `${piece.label}:\n${piece.text}`);
}

function withPreface(preface: string[], question: string): string {
  return preface.length === 0 ? question : `${preface.join('\n\n')}\n\nQuestion: ${question}`;
}

function isInstruction(role: string): boolean {
  return role === 'system' || role === 'developer';
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

/** A message's text (its text parts joined) and its files read as text. */
async function readMessage(message: unknown, index: number, corpusName: string | undefined): Promise<MessageText> {
  const where = `messages[${index}]`;
  if (typeof message !== 'object' || message === null || Array.isArray(message)) throw badParameter(where, `${where} must be an object`);
  const { role, content } = message as { role?: unknown; content?: unknown };
  if (typeof role !== 'string' || !ROLES.has(role))
    throw badParameter(`${where}.role`, `${where}.role must be system, developer, user, assistant or tool; got ${JSON.stringify(role)}`);
  if (content === null || content === undefined) return { role, text: '', files: [] };
  if (typeof content === 'string') return { role, text: content, files: [] };
  if (!Array.isArray(content)) throw badParameter(`${where}.content`, `${where}.content must be a string or an array of parts`);
  const texts: string[] = [];
  const files: Piece[] = [];
  for (const [at, part] of content.entries()) {
    const partWhere = `${where}.content[${at}]`;
    const { type } = (part ?? {}) as { type?: unknown };
    if (type === 'text' && typeof (part as { text?: unknown }).text === 'string') texts.push((part as { text: string }).text);
    else if (type === 'refusal' && typeof (part as { refusal?: unknown }).refusal === 'string')
      texts.push((part as { refusal: string }).refusal);
    else if (type === 'file') {
      if (corpusName !== undefined)
        throw badParameter(
          partWhere,
          `${partWhere} is a file: the model rlm/${corpusName} reads its corpus; attach files with the model rlm`,
        );
      const file = ((part as { file?: unknown }).file ?? {}) as FilePart;
      const name = typeof file.filename === 'string' ? `"${file.filename}"` : '(no name)';
      files.push({ label: `file ${name} (message ${index + 1})`, text: await filePartText(file, partWhere) });
    } else if (type === 'image_url' || type === 'input_audio') {
      throw badParameter(
        partWhere,
        `${partWhere} is ${type === 'image_url' ? 'an image' : 'audio'}: this server reads text and text files only`,
      );
    } else {
      throw badParameter(partWhere, `${partWhere} has type ${JSON.stringify(type)}: this server reads text and file parts`);
    }
  }
  return { role, text: texts.join('\n'), files };
}
