/**
 * A memo of model calls that lasts across runs: an identical request (model, messages, sampling
 * settings) is answered from an SQLite file instead of the provider. Opt-in; requests sampled at
 * a temperature above 0 are left alone unless asked, since their answers are meant to differ.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { RlmError } from '../errors.ts';
import { wrapModel, type GenerateRequest, type GenerateResult, type Model } from './model.ts';

/** What {@link withMemo} memoizes, and what it tells you of each hit. */
export interface MemoOptions {
  /** Also memoize requests with temperature > 0. */
  includeSampled?: boolean;
  /** Called on every hit with what the call would have cost. */
  onHit?: (modelId: string, saved: GenerateResult) => void;
}

/** The on-disk store: one SQLite file in `dir`, shared by every run that opens it. */
export class MemoStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #put: StatementSync;

  constructor(dir: string) {
    try {
      mkdirSync(dir, { recursive: true });
      this.path = join(dir, 'memo.sqlite');
      this.#db = new DatabaseSync(this.path);
      // WAL lets several runs read while one writes; a busy timeout rides out their overlaps.
      this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;');
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, model TEXT NOT NULL, result TEXT NOT NULL, created INTEGER NOT NULL)',
      );
    } catch (error) {
      throw new RlmError('RLM_USAGE', `cannot open the cache in ${dir}: ${(error as Error).message}`);
    }
    this.#get = this.#db.prepare('SELECT result FROM memo WHERE key = ?');
    this.#put = this.#db.prepare('INSERT OR REPLACE INTO memo (key, model, result, created) VALUES (?, ?, ?, ?)');
  }

  get(key: string): GenerateResult | undefined {
    const row = this.#get.get(key) as { result: string } | undefined;
    return row ? (JSON.parse(row.result) as GenerateResult) : undefined;
  }

  put(key: string, modelId: string, result: GenerateResult): void {
    this.#put.run(key, modelId, JSON.stringify(result), Date.now());
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** The memo key: what makes two requests the same. */
export function memoKey(modelId: string, request: GenerateRequest): string {
  const identity = {
    model: modelId,
    messages: request.messages.map((m) => [m.role, m.content]),
    temperature: request.temperature ?? null,
    maxOutputTokens: request.maxOutputTokens ?? null,
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/**
 * The model, answering a request it has seen before (same model, messages and sampling settings)
 * from `store` instead of the provider.
 *
 * @example
 * const model = withMemo(createOpenAIModel({ model: 'gpt-5-mini' }), new MemoStore('.rlm-cache'));
 */
export function withMemo(model: Model, store: MemoStore, options: MemoOptions = {}): Model {
  return wrapModel(model, (inner) => async (request) => {
    const sampled = (request.temperature ?? 0) > 0;
    if (sampled && !options.includeSampled) return inner.generate(request);
    const key = memoKey(inner.id, request);
    const hit = store.get(key);
    if (hit) {
      options.onHit?.(inner.id, hit);
      return hit;
    }
    const result = await inner.generate(request);
    // Only complete answers: a reply cut at the token limit is not worth repeating.
    if (result.finishReason !== 'length') store.put(key, inner.id, result);
    return result;
  });
}
