/**
 * PDF to text, one string per page, with unpdf: pdf.js built to run without a worker or a DOM,
 * loaded only when a PDF is met (it is the largest part of a corpus load's code).
 */
import { ExtractError } from './extract-error.ts';

/** The text of each page of the PDF in `bytes`. */
export async function pdfPages(bytes: Uint8Array): Promise<string[]> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  let pdf;
  try {
    // A copy: pdf.js may take over (detach) the buffer it is given.
    pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  } catch (error) {
    throw new ExtractError(`not a readable PDF (${(error as Error).message.replace(/\.$/, '')})`, { cause: error });
  }
  try {
    const { text } = await extractText(pdf, { mergePages: false });
    return text;
  } catch (error) {
    throw new ExtractError(`not a readable PDF (${(error as Error).message.replace(/\.$/, '')})`, { cause: error });
  } finally {
    // Frees pdf.js's copy of the document and everything parsed from it.
    await pdf.loadingTask.destroy();
  }
}
