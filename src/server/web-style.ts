/**
 * What the server's two pages share: their style on top of the viewer's, the headers that keep a
 * page from loading anything but itself, and the browser code that talks to the API. Everything a
 * page shows of a run (questions, answers, model text, file names) is set as text, never as HTML.
 */
import { createHash } from 'node:crypto';
import { VIEWER_STYLE } from '../trace/viewer.ts';

export const WEB_STYLE = `${VIEWER_STYLE}
main { padding: 0 20px 20px; max-width: 1100px; }
form label { display: block; margin: 8px 0 2px; font-weight: 600; }
textarea, select, input[type=number] { font: inherit; padding: 6px 8px; border: 1px solid #c5cbd4; border-radius: 6px; box-sizing: border-box; }
textarea { width: 100%; } #query { min-height: 60px; } #context-text { min-height: 120px; font-family: ui-monospace, monospace; font-size: 12px; }
.limits { display: flex; flex-wrap: wrap; gap: 8px 16px; } .limits label { font-weight: 400; }
button { font: inherit; padding: 5px 14px; border-radius: 6px; border: 1px solid #98a2b3; background: #fff; cursor: pointer; }
button.primary { background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
.problem { color: #b42318; white-space: pre-wrap; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; background: #fff; } td, th { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e6eb; vertical-align: top; }
.state { font-family: ui-monospace, monospace; font-size: 12px; }
#run-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 16px; margin-bottom: 6px; }
.answer { background: #ecfdf3; border: 1px solid #75e0a7; border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
.no-answer { background: #fef3f2; border: 1px solid #fda29b; border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
.answer pre { background: #fff; color: #1d2330; max-height: 40vh; }
#run-top { padding: 12px 20px 0; background: #fff; }
`;

/**
 * A page's headers: nothing loads from elsewhere, no frame may hold it, and it is not kept in
 * caches (a run's page changes as the run goes). Its scripts run by their hashes, never as any
 * inline script: if run text ever reached the page as HTML, a `<script>` or an `onerror=` in it
 * would not run.
 */
export function pageHeaders(html: string): Record<string, string> {
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (match) => `'sha256-${createHash('sha256').update(match[1]!).digest('base64')}'`,
  );
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': `default-src 'none'; script-src ${hashes.join(' ') || "'none'"}; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}

/**
 * Browser code both pages start with: `api(path, init)` fetches from the server with its cookie
 * (the token given once as `/?token=...`), and turns an error answer into an Error with the
 * server's message; `el(tag, attrs, ...kids)` builds elements with text, never HTML.
 */
export const WEB_API_SCRIPT = String.raw`
const el = (tag, attrs = {}, ...kids) => { const node = document.createElement(tag); for (const [k, v] of Object.entries(attrs)) { if (k === 'text') node.textContent = v; else node.setAttribute(k, v); } for (const kid of kids) if (kid !== null && kid !== undefined) node.append(kid); return node; };
class ApiError extends Error { constructor(status, body) { super(body && body.error && body.error.message ? body.error.message : 'the server answered ' + status); this.status = status; this.param = body && body.error ? body.error.param : null; } }
const api = async (path, init = {}) => {
  const response = await fetch(path, { credentials: 'same-origin', ...init });
  if (response.ok) return response.json();
  let body = null;
  try { body = await response.json(); } catch {}
  const error = new ApiError(response.status, body);
  if (response.status === 401) error.message = 'this server needs its token: open this page once as /?token=<token>';
  throw error;
};
const ENDED = (state) => state !== 'queued' && state !== 'running';
`;
