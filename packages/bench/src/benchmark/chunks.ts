/**
 * Cuts a long text into pieces of at most `maxChars`, at a paragraph break where one falls in the
 * piece's second half, else at a line break, else mid-line: records and documents stay whole
 * where they can. Every character is in exactly one piece, in order.
 */
export interface TextChunk {
  /** 0-based position among the pieces. */
  index: number;
  /** Offset of the first character in the whole text. */
  start: number;
  text: string;
}

/** The text in pieces of at most `maxChars`, cut at a paragraph break, else a line break, else mid-line. */
export function chunkText(text: string, maxChars: number): TextChunk[] {
  if (!(maxChars >= 1)) throw new RangeError(`a chunk must hold at least one character, got ${maxChars}`);
  const chunks: TextChunk[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + maxChars);
    if (end < text.length) {
      // Searched within the second half only: lastIndexOf on the whole text would scan back to
      // its start whenever there is no break, quadratic over a 40 MB context.
      const half = start + Math.floor(maxChars / 2);
      const tail = text.slice(half, end);
      const paragraph = tail.lastIndexOf('\n\n');
      const line = tail.lastIndexOf('\n');
      if (paragraph >= 0) end = half + paragraph + 2;
      else if (line >= 0) end = half + line + 1;
    }
    chunks.push({ index: chunks.length, start, text: text.slice(start, end) });
    start = end;
  }
  return chunks;
}
