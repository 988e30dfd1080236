/**
 * A JSONL trace: one event a line, appended as the run goes, so it grows with the run and never
 * repeats history. Events carry no API keys (models are named by id, endpoints by nothing).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { RlmEvent } from './events.ts';

export class JsonlTrace {
  readonly #out: WriteStream;
  readonly #started = performance.now();

  constructor(path: string) {
    this.#out = createWriteStream(path, { flags: 'w' });
  }

  readonly onEvent = (event: RlmEvent): void => {
    this.#out.write(`${JSON.stringify({ t: Math.round(performance.now() - this.#started), ...event })}\n`);
  };

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.#out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}
