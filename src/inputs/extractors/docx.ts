/** DOCX to text with mammoth's raw-text extraction (paragraphs apart), loaded only when a DOCX is met. */
import { ExtractError } from './extract-error.ts';
import { unpackedSize } from './zip-size.ts';

/** The most a DOCX may unpack to: its XML, many times its text, is held whole while it is read. */
export const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

/** The text of the Word document in `bytes`. */
export async function docxText(bytes: Buffer): Promise<string> {
  const unpacked = unpackedSize(bytes);
  if (unpacked > MAX_UNPACKED_BYTES) {
    const mib = (n: number) => `${Math.round(n / 2 ** 20).toLocaleString('en-US')} MiB`;
    throw new ExtractError(
      `unpacks to ${unpacked >= Number.MAX_SAFE_INTEGER ? 'over 4 GiB' : mib(unpacked)}, more than the ${mib(MAX_UNPACKED_BYTES)} a DOCX may`,
    );
  }
  const { default: mammoth } = await import('mammoth');
  try {
    const { value } = await mammoth.extractRawText({ buffer: bytes });
    return value;
  } catch (error) {
    throw new ExtractError(`not a readable DOCX (${(error as Error).message.split('\n')[0]!.replace(/\.$/, '')})`, { cause: error });
  }
}
