/**
 * The runs of `rlm serve`'s MCP endpoint go through the server's own runs, as chat completions and
 * jobs do: they count against its cap on runs at once (a burst of asks is queued or refused, not
 * started all together), their traces go to its trace folder, and they show in its runs list and
 * on its web page, where they can be watched and cancelled.
 */
import type { McpRunner } from '../mcp/options.ts';
import { ServerBusyError, ServerDrainingError } from './run-manager.ts';
import type { Runs } from './runs.ts';
import { resultWithoutRun } from './server-run.ts';

export function runThroughManager(manager: Runs, pageUrl: (id: string) => string): McpRunner {
  return async ({ options, context, query, signal }) => {
    const { onEvent, ...rest } = options;
    let run;
    try {
      run = await manager.submit({ query, context, options: rest, model: 'rlm', origin: 'mcp' });
    } catch (error) {
      if (error instanceof ServerBusyError)
        return { result: resultWithoutRun('error', 'RLM_USAGE', `${error.message} (in about ${error.retryAfterSeconds} s)`) };
      if (error instanceof ServerDrainingError) return { result: resultWithoutRun('cancelled', 'RLM_CANCELLED', error.message) };
      throw error;
    }
    const cancel = () => run.cancel('cancelled by the MCP client');
    if (signal.aborted) cancel();
    signal.addEventListener('abort', cancel, { once: true });
    const stop = run.listen({ event: (event) => onEvent?.(event), end: () => {} });
    try {
      return { result: await run.finished, where: pageUrl(run.id) };
    } finally {
      stop();
      signal.removeEventListener('abort', cancel);
    }
  };
}
