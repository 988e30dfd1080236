/** DOCX to text with mammoth's raw-text extraction (paragraphs apart), loaded only when a DOCX is met. */
import { ExtractError } from './extract-error.ts';

/** The text of the Word document in `bytes`. */
export async function docxText(bytes: Buffer): Promise<string> {
  const { default: mammoth } = await import('mammoth');
  try {
    const { value } = await mammoth.extractRawText({ buffer: bytes });
    return value;
  } catch (error) {
    throw new ExtractError(`not a readable DOCX (${(error as Error).message.split('\n')[0]!.replace(/\.$/, '')})`, { cause: error });
  }
}
