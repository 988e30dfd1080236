/**
 * rlm's HTTP server as a library: {@link startServer} to run it in your process, or
 * {@link createApp} to mount its routes in a Hono app of your own.
 *
 * @example
 * import { createOpenAIModel } from 'rlm';
 * import { ModelCatalog, startServer } from 'rlm/server';
 * const catalog = new ModelCatalog({
 *   createModel: (model) => createOpenAIModel({ model }),
 *   rootModel: 'gpt-5',
 *   subModel: 'gpt-5-mini',
 *   base: {},
 *   caps: { maxCostUsd: 1 },
 *   corpora: new Map(),
 * });
 * const server = await startServer({ catalog, traceDir: './runs', port: 8787 });
 * // later: await server.drain(30_000);
 */
export { createApp, toHttpError, type AppOptions, type McpEndpoint } from './app.ts';
export { ModelCatalog, type CatalogOptions, type RequestLimits, type ServedModel } from './catalog.ts';
export { HttpError, type HttpErrorType } from './http-error.ts';
export { RunManager, ServerBusyError, ServerDrainingError, type RunManagerOptions } from './run-manager.ts';
export { ServerRun, type RunRequest, type RunView } from './server-run.ts';
export type { ServerState } from './server-state.ts';
export { DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT, startServer, type RunningServer, type StartServerOptions } from './start-server.ts';
