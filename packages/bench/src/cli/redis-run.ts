/**
 * `rlm bench run --redis <url>`: the bench's instances run on `rlm worker` processes that share
 * the Redis. The workers hold the key and the endpoint; the bench needs only the Redis, the
 * task settings and the models' names, and writes its results, report and chart as when it runs
 * everything itself.
 */
import { usageError } from 'rlm/cli-kit';
import type { BenchJobQueue } from '../distributed/remote-runs.ts';

/** Instances in flight at once with --redis when --concurrency is not given: a few per worker of a small pool. */
export const REDIS_CONCURRENCY = 8;

/** The workers' Redis as given to --redis; an empty one is not taken for none. */
export function redisUrl(value: string): string {
  const url = value.trim();
  if (url === '') throw usageError("--redis needs the workers' Redis: redis://host:port");
  return url;
}

/** What the flags of a bench on workers may say. */
interface RedisRunFlags {
  model?: string | undefined;
  'sub-model'?: string | undefined;
  'base-url'?: string | undefined;
  provider?: string | undefined;
  traces?: boolean | undefined;
}

/**
 * The models a bench on workers runs, by name: --model (or RLM_MODEL) is needed, as only the
 * workers know their endpoint and so what it would default to. Flags that choose the endpoint
 * are the workers' and are refused here, as are traces, which are written where runs run.
 */
export function workerModels(values: RedisRunFlags, env: NodeJS.ProcessEnv): { model: string; subModel: string } {
  if (values.traces) throw usageError('--traces is not supported with --redis yet: the runs, and so their events, are on the workers');
  if (values['base-url'] !== undefined)
    throw usageError('--base-url does not go with --redis: the workers call their own endpoint (rlm worker --base-url)');
  if (values.provider !== undefined)
    throw usageError('--provider does not go with --redis: the workers speak to their own endpoint (rlm worker --provider)');
  const model = values.model ?? (env.RLM_MODEL || undefined);
  if (model === undefined)
    throw usageError("--redis needs --model (or RLM_MODEL): the workers' endpoint is theirs, so the bench cannot pick its default");
  return { model, subModel: values['sub-model'] ?? (env.RLM_SUB_MODEL || model) };
}

/** The queue the workers take jobs from, and the way to let go of it. */
export async function connectWorkers(url: string): Promise<BenchJobQueue & { close(): Promise<void> }> {
  // Loaded only for a bench on workers: the queue's client is of no use to any other.
  const { RemoteJobs } = await import('rlm/cli-kit');
  return RemoteJobs.connect(url);
}
