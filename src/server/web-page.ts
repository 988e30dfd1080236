import { Hono } from 'hono';
import type { ServerState } from './server-state.ts';

export function webRoutes(_state: ServerState): Hono {
  return new Hono();
}
