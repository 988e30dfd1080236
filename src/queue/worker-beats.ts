/**
 * The workers sharing a queue, as their heartbeats say: each worker writes what it runs every few
 * seconds under a key that expires, so a worker that died or lost its machine drops out of
 * `GET /v1/health` within seconds, and is forgotten.
 */
import type { Redis } from 'ioredis';
import { WORKERS, workerKey } from './keys.ts';
import type { WorkerBeat } from './queue-worker.ts';

/** The workers whose heartbeat is current, by label. */
export async function liveWorkers(commands: Redis): Promise<WorkerBeat[]> {
  const ids = await commands.smembers(WORKERS);
  if (ids.length === 0) return [];
  const beats = await commands.mget(...ids.map(workerKey));
  const gone = ids.filter((_, index) => beats[index] === null);
  if (gone.length > 0) await commands.srem(WORKERS, ...gone);
  return beats.flatMap((beat) => readBeat(beat)).sort((a, b) => a.label.localeCompare(b.label));
}

/** A worker's heartbeat as rlm writes it; anything else found there (written by hand, damaged) is left out. */
function readBeat(beat: string | null): WorkerBeat[] {
  if (beat === null) return [];
  try {
    const parsed = JSON.parse(beat) as Partial<WorkerBeat> | null;
    const valid =
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof parsed.id === 'string' &&
      typeof parsed.label === 'string' &&
      typeof parsed.concurrency === 'number' &&
      Array.isArray(parsed.running) &&
      parsed.running.every((id) => typeof id === 'string');
    return valid ? [{ draining: false, finished: 0, failed: 0, startedAt: '', ...parsed } as WorkerBeat] : [];
  } catch {
    return [];
  }
}
