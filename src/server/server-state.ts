/** What every route of the server works with: its runs, its models, and its settings. */
import type { ModelCatalog } from './catalog.ts';
import type { Runs } from './runs.ts';

/** The state shared by the routes of one server. */
export interface ServerState {
  manager: Runs;
  catalog: ModelCatalog;
  /** Largest request body accepted, in bytes (larger: 413). */
  maxBodyBytes: number;
  /** The bearer token every request must carry; none on a loopback-only server without one. */
  token: string | undefined;
}
