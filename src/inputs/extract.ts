/**
 * From a file's bytes and kind to a document's content. `parse: false` asks for the text only
 * (what `Corpus.read` returns), which spares parsing a JSON, JSON Lines or CSV file.
 */
import type { JsonValue } from '../sandboxes/index.ts';
import type { DocumentKind, LoadedDocument } from './document.ts';
import { csvRecords } from './extractors/csv.ts';
import { docxText } from './extractors/docx.ts';
import { parseJsonl } from './extractors/jsonl.ts';
import { pdfPages } from './extractors/pdf.ts';

/** A document's content: everything of a {@link LoadedDocument} but its path and size. */
export type Extracted = Omit<LoadedDocument, 'path' | 'bytes'>;

/** The form feed that joins a PDF's pages in its `text`. */
export const PAGE_BREAK = '\f';

export async function extract(kind: DocumentKind, bytes: Buffer, parse = true): Promise<Extracted> {
  switch (kind) {
    case 'pdf': {
      const pages = await pdfPages(bytes);
      return parse ? { kind, text: pages.join(PAGE_BREAK), pages } : { kind, text: pages.join(PAGE_BREAK) };
    }
    case 'docx':
      return { kind, text: await docxText(bytes) };
    case 'html':
      // The HTML parser is loaded by the first HTML document only.
      return { kind, text: (await import('./extractors/html.ts')).htmlToText(decode(bytes)) };
    case 'json': {
      const text = decode(bytes);
      if (!parse) return { kind, text };
      try {
        return { kind, text, data: JSON.parse(text) as JsonValue };
      } catch {
        // A .json that does not parse is still worth reading: it is kept as text.
        return { kind: 'text', text };
      }
    }
    case 'jsonl': {
      const text = decode(bytes);
      return parse ? { kind, text, records: parseJsonl(text) } : { kind, text };
    }
    case 'csv': {
      const text = decode(bytes);
      return parse ? { kind, text, records: csvRecords(text) } : { kind, text };
    }
    case 'text':
      return { kind, text: decode(bytes) };
  }
}

/**
 * UTF-8 to text, without a BOM. Only the first 8 KiB were checked to be UTF-8; an invalid byte
 * further on becomes U+FFFD rather than costing the whole file.
 */
function decode(bytes: Buffer): string {
  const text = new TextDecoder('utf-8').decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
