/**
 * Connecting to the Redis that servers and workers share. At start, Redis is tried once, briefly:
 * unreachable is one clear error naming the address (never its password), not a process that
 * waits forever. Once running, a connection that drops is retried, every second or two, for as
 * long as it takes; what depends on it (a submit, a run's events) decides how long it can wait.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { RlmError } from '../errors.ts';

/** `redis://` or `rediss://` (TLS), with an optional user, password and database number. */
export function checkRedisUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RlmError('RLM_USAGE', `--redis expects a URL such as redis://127.0.0.1:6379, got '${raw}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new RlmError('RLM_USAGE', `--redis expects a redis:// or rediss:// URL, got '${shownUrl(url)}'`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new RlmError('RLM_USAGE', `--redis: the database must be a number (redis://host:6379/0)`);
  return url;
}

/** The URL without its user and password, for messages and logs. */
export function shownUrl(url: URL): string {
  return `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname === '/' ? '' : url.pathname}`;
}

/** How a long-lived connection behaves: reconnects forever, a second or two apart. */
function lastingOptions(blocking: boolean) {
  return {
    // BullMQ's blocking connections must wait for Redis rather than fail a command: null.
    maxRetriesPerRequest: blocking ? null : 3,
    // A Redis that stops answering (paused, overloaded) fails a command after 10 s rather than hold
    // it forever: a submit is then a 503, a run's events are tried again. Blocking reads wait by design.
    ...(blocking ? {} : { commandTimeout: 10_000 }),
    retryStrategy: (times) => Math.min(200 * times, 2_000),
    connectTimeout: 5_000,
    lazyConnect: true,
  } satisfies RedisOptions;
}

/**
 * Opens a connection and checks that Redis answers, within `timeoutMs`; unreachable is an
 * RlmError that says where it looked and what to do. `blocking`: for BullMQ's workers and
 * the event followers, whose commands wait for Redis rather than fail.
 */
export async function connectRedis(raw: string, options: { blocking?: boolean; timeoutMs?: number } = {}): Promise<Redis> {
  const url = checkRedisUrl(raw);
  const client = new Redis(url.toString(), lastingOptions(options.blocking ?? false));
  // ioredis reports every failed attempt as an 'error' event: without a listener, Node would crash on the first.
  let lastError: Error | undefined;
  const remember = (error: Error) => (lastError = error);
  client.on('error', remember);
  const timeoutMs = options.timeoutMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer')), timeoutMs))),
    ]);
  } catch (error) {
    client.disconnect();
    const why = (lastError as NodeJS.ErrnoException | undefined)?.code ?? (error instanceof Error ? error.message : String(error));
    throw new RlmError(
      'RLM_USAGE',
      `cannot reach Redis at ${shownUrl(url)} (${why}): start redis-server there, or give the right address with --redis`,
    );
  } finally {
    clearTimeout(timer);
  }
  return client;
}
