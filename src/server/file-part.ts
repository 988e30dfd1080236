/**
 * A `file` content part of a chat request as text for the REPL. Clients send the file inline as
 * a data URL (`data:text/markdown;base64,...`); text is decoded, PDF, DOCX and HTML go through
 * the same extractors as a corpus's files. Anything else (an image, audio, an uploaded file's id)
 * is refused with a 400 naming the part: the RLM reads text, and a file it cannot read is never
 * passed on as if it had been read.
 */
import type { DocumentKind } from '../inputs/document.ts';
import { badParameter } from './http-error.ts';

/** The part as OpenAI's API defines it: `{ type: 'file', file: { file_data?, file_id?, filename? } }`. */
export interface FilePart {
  file_data?: unknown;
  file_id?: unknown;
  filename?: unknown;
}

const TEXT_TYPES =
  /^(text(\/.*)?|application\/([\w.+-]*\+)?(json|xml|yaml|x-yaml|toml|javascript|ecmascript|x-ndjson|jsonl|csv|sql|graphql|x-sh))$/;
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** The file's text. `where` names the part in an error: `messages[2].content[1]`. */
export async function filePartText(file: FilePart, where: string): Promise<string> {
  if (typeof file.file_data !== 'string') {
    const why =
      typeof file.file_id === 'string' ? `names an uploaded file (${file.file_id}), which this server does not hold` : 'has no file_data';
    throw badParameter(where, `${where} ${why}: send the file's content inline as a data URL in file.file_data`);
  }
  const match = /^data:([^;,]*)((?:;[^;,]*)*),/.exec(file.file_data);
  if (!match) throw badParameter(where, `${where}: file.file_data must be a data URL (data:<media type>;base64,<data>)`);
  const mediaType = (match[1] || 'text/plain').toLowerCase().trim();
  const payload = file.file_data.slice(match[0].length);
  const bytes = match[2]!.includes(';base64') ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'utf8');
  const name = typeof file.filename === 'string' ? ` ("${file.filename}")` : '';
  const kind = kindOf(mediaType);
  if (kind === undefined) throw badParameter(where, `${where}${name} is ${mediaType}: this server reads text, PDF, DOCX and HTML files`);
  if (kind === 'text') return decodeText(bytes, `${where}${name}`, where);
  // The extractors (PDF, DOCX, HTML) are loaded by the first such file only.
  const { extract } = await import('../inputs/extract.ts');
  try {
    return (await extract(kind, bytes, false)).text;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw badParameter(where, `${where}${name} could not be read as ${kind.toUpperCase()}: ${reason}`);
  }
}

function kindOf(mediaType: string): Extract<DocumentKind, 'text' | 'pdf' | 'docx' | 'html'> | undefined {
  const type = mediaType.split(';')[0]!.trim();
  if (type === 'application/pdf') return 'pdf';
  if (type === DOCX) return 'docx';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  return TEXT_TYPES.test(type) ? 'text' : undefined;
}

/** UTF-8 without a BOM; a NUL byte or bytes that are not UTF-8 mean a binary file, refused as a corpus refuses one. */
function decodeText(bytes: Buffer, named: string, param: string): string {
  if (bytes.includes(0)) throw badParameter(param, `${named} is binary (it has NUL bytes), not text`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badParameter(param, `${named} is not UTF-8 text`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
