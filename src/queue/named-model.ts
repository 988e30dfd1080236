/**
 * A model known by name only: what a server that queues its runs (`rlm serve --redis`) puts in a
 * run's options. It never calls anything: the worker that takes the run makes the real model of
 * that name, with its own endpoint and keys, which the server need not have.
 */
import { RlmError } from '../errors.ts';
import type { Model } from '../models/model.ts';

/** `id` '' stands for the worker's own model. */
export function namedModel(id: string): Model {
  return {
    id,
    url: "the workers' endpoint",
    generate: () => Promise.reject(new RlmError('RLM_USAGE', 'this server queues its runs: a worker (rlm worker) calls the models')),
    withId: namedModel,
  };
}
