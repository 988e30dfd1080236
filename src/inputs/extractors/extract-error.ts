/** Why a file's content could not be made into a document, in a few words (no path: the caller adds it). */
export class ExtractError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExtractError';
  }
}
