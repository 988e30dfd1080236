/**
 * A file part of an AI SDK prompt as text for the REPL: text files decoded, PDF and DOCX through
 * the same extractors as a corpus's files. Anything else (images, audio, a URL or a provider's
 * file reference) is refused in one line: the RLM reads text, and a file it cannot read is never
 * passed on as if it had been read.
 */
import type { LanguageModelV4FilePart } from '@ai-sdk/provider';
import { RlmError } from '../errors.ts';
import type { DocumentKind } from '../inputs/document.ts';

/** `where` names the file in an error: `message 2's file "notes.md"`. */
export async function fileText(part: LanguageModelV4FilePart, where: string): Promise<string> {
  const { data } = part;
  if (data.type === 'text') return data.text;
  if (data.type === 'url') throw refused(`${where} is a URL (${data.url.href}): pass the file's content instead`);
  if (data.type === 'reference') throw refused(`${where} is a provider's file reference: pass the file's content instead`);
  const bytes = typeof data.data === 'string' ? Buffer.from(data.data, 'base64') : Buffer.from(data.data);
  const kind = kindOf(part.mediaType);
  if (kind === undefined) throw refused(`${where}: rlmModel reads text, PDF and DOCX files, not ${part.mediaType}`);
  if (kind === 'text') return decodeText(bytes, where);
  // The PDF and DOCX extractors are loaded by the first such file only.
  const { extract } = await import('../inputs/extract.ts');
  try {
    return (await extract(kind, bytes, false)).text;
  } catch (error) {
    throw refused(`${where} could not be read as ${kind.toUpperCase()}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const TEXT_TYPES =
  /^(text(\/.*)?|application\/([\w.+-]*\+)?(json|xml|yaml|x-yaml|toml|javascript|ecmascript|x-ndjson|jsonl|csv|sql|graphql|x-sh))$/;
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

function kindOf(mediaType: string): Extract<DocumentKind, 'text' | 'pdf' | 'docx' | 'html'> | undefined {
  const type = mediaType.toLowerCase().split(';')[0]!.trim();
  if (type === 'application/pdf') return 'pdf';
  if (type === DOCX) return 'docx';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  return TEXT_TYPES.test(type) ? 'text' : undefined;
}

/** UTF-8 without a BOM; a NUL byte or bytes that are not UTF-8 mean a binary file, refused as a corpus refuses one. */
function decodeText(bytes: Buffer, where: string): string {
  if (bytes.includes(0)) throw refused(`${where} is binary (it has NUL bytes), not text`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw refused(`${where} is not UTF-8 text`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function refused(message: string): RlmError {
  return new RlmError('RLM_INPUT', message);
}
