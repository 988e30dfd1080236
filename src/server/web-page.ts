/**
 * The live web page of `rlm serve`: `/` starts runs and lists them, `/runs/:id` follows one in the
 * trace viewer as it happens. Both are pages without data: what they show they fetch from the
 * runs API, with the server's token (given once as `/?token=...`, kept as a cookie).
 */
import { Hono } from 'hono';
import { isRunId, runNotFound } from './runs-history.ts';
import type { ServerState } from './server-state.ts';
import { renderHomePage } from './web-home.ts';
import { renderRunPage } from './web-run-page.ts';
import { pageHeaders } from './web-style.ts';

/** The pages, to mount on the server's app: `app.route('/', webRoutes(state))`. */
export function webRoutes(_state: ServerState): Hono {
  const app = new Hono();
  const home = renderHomePage();
  const homeHeaders = pageHeaders(home);
  app.get('/', (c) => c.body(home, 200, homeHeaders));
  app.get('/runs/:id', (c) => {
    const id = c.req.param('id');
    if (!isRunId(id)) throw runNotFound(id);
    const page = renderRunPage(id);
    return c.body(page, 200, pageHeaders(page));
  });
  return app;
}
