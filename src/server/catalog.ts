/**
 * What the server offers as models. `rlm` is an RLM over the configured root and sub models;
 * `rlm/<root-model>` the same with another root model from the same endpoint; `rlm/<corpus>`
 * an RLM whose context is one of the corpora the operator named (`--corpus docs=./handbook`),
 * so a chat client asks over a whole folder by picking a model. Per-request limits are taken
 * only within the server's own caps.
 */
import type { BudgetLimits } from '../budget.ts';
import type { Corpus } from '../inputs/corpus.ts';
import type { Model } from '../models/model.ts';
import type { RLMOptions } from '../rlm.ts';
import { badParameter, HttpError } from './http-error.ts';

/** A model the server lists at `/v1/models` and answers to. */
export interface ServedModel {
  id: string;
  /** For a corpus model: its context. */
  corpus?: Corpus;
  /** For `rlm/<root-model>`: the root model's id at the endpoint. */
  rootModel?: string;
}

/** Limits a request may ask for, each lowered to the server's cap where it passes it. */
export interface RequestLimits {
  maxCostUsd?: number | undefined;
  maxCalls?: number | undefined;
  maxTokens?: number | undefined;
  timeoutMs?: number | undefined;
}

/** What a {@link ModelCatalog} is made of: the endpoint, the RLM settings, the caps and the corpora. */
export interface CatalogOptions {
  /** Makes a model of the endpoint from its id. */
  createModel: (id: string) => Model;
  rootModel: string;
  subModel: string;
  /** The RLM's other options (REPL, depth, turns...), as the operator set them. */
  base: Omit<RLMOptions, 'model' | 'subModel' | 'limits' | 'onEvent'>;
  /** The server's caps: every run's limits are at most these. */
  caps: BudgetLimits;
  corpora: ReadonlyMap<string, Corpus>;
}

/**
 * The models a server answers to (`rlm`, `rlm/<root-model>`, `rlm/<corpus>`) and the RLM options
 * of a run of each, its limits held within the server's caps.
 */
export class ModelCatalog {
  readonly #options: CatalogOptions;

  constructor(options: CatalogOptions) {
    this.#options = options;
  }

  get rootModel(): string {
    return this.#options.rootModel;
  }

  get caps(): BudgetLimits {
    return this.#options.caps;
  }

  list(): ServedModel[] {
    return [
      { id: 'rlm', rootModel: this.#options.rootModel },
      ...[...this.#options.corpora].map(([name, corpus]) => ({ id: `rlm/${name}`, corpus })),
    ];
  }

  /** The model a request names; 404 for a name the server does not answer to. */
  resolve(id: string): ServedModel {
    if (id === 'rlm') return { id, rootModel: this.#options.rootModel };
    const rest = id.startsWith('rlm/') ? id.slice(4) : undefined;
    if (rest) {
      const corpus = this.#options.corpora.get(rest);
      if (corpus) return { id, corpus };
      return { id, rootModel: rest };
    }
    const known = this.list()
      .map((m) => m.id)
      .join(', ');
    throw new HttpError(
      404,
      'not_found_error',
      `the model "${id}" does not exist here; this server answers to ${known} and rlm/<root-model>`,
      {
        param: 'model',
        code: 'model_not_found',
      },
    );
  }

  /** The RLM's options for a run of `model`, its limits the request's within the server's caps. */
  optionsFor(model: ServedModel, requested: RequestLimits = {}): Omit<RLMOptions, 'onEvent'> {
    const { createModel, subModel, base } = this.#options;
    return {
      ...base,
      model: createModel(model.rootModel ?? this.#options.rootModel),
      subModel: createModel(subModel),
      limits: this.limitsFor(requested),
    };
  }

  /** Each limit the lower of the request's and the cap; a limit that is not a positive number is refused. */
  limitsFor(requested: RequestLimits): BudgetLimits {
    const caps = this.#options.caps;
    const limits: BudgetLimits = {};
    for (const key of ['maxCostUsd', 'maxCalls', 'maxTokens', 'timeoutMs'] as const) {
      const asked = requested[key];
      if (asked !== undefined && (typeof asked !== 'number' || !Number.isFinite(asked) || asked <= 0))
        throw badParameter(key, `${key} must be a positive number`);
      const cap = caps[key];
      const value = asked === undefined ? cap : cap === undefined ? asked : Math.min(asked, cap);
      if (value !== undefined) limits[key] = value;
    }
    return limits;
  }
}
