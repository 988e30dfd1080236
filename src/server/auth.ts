/**
 * The server's bearer token: every request carries `Authorization: Bearer <token>`, compared in
 * constant time, or is refused with 401 in OpenAI's shape. A browser cannot add a header to a page
 * it opens, so the web page takes the token once in its address (`/?token=...`, as Jupyter does):
 * the server sets it as an HttpOnly cookie and sends the browser on to the same address without
 * it. `/v1/health` needs no token: it says only how busy the server is, for load balancers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.ts';

const COOKIE = 'rlm_token';
const OPEN_PATHS = new Set(['/v1/health']);

export function bearerAuth(token: string | undefined): MiddlewareHandler {
  if (token === undefined) return async (_c, next) => next();
  const expected = digest(token);
  const matches = (given: string | undefined) => given !== undefined && timingSafeEqual(digest(given), expected);
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    const header = c.req.header('authorization');
    const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    if (matches(bearer) || matches(cookieValue(c.req.header('cookie')))) return next();
    const inAddress = c.req.method === 'GET' ? c.req.query('token') : undefined;
    if (matches(inAddress)) {
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      c.header('set-cookie', `${COOKIE}=${encodeURIComponent(inAddress!)}; HttpOnly; SameSite=Strict; Path=/`);
      // One leading slash only: `//evil.example/?token=...` would otherwise send the browser to evil.example.
      return c.redirect(`/${url.pathname.replace(/^[/\\]+/, '')}${url.search}`, 303);
    }
    throw new HttpError(
      401,
      'authentication_error',
      header === undefined ? 'this server needs a bearer token: Authorization: Bearer <token>' : "the bearer token is not this server's",
      { code: 'invalid_api_key' },
    );
  };
}

/** Hashed first, so the comparison takes the same time whatever the lengths. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function cookieValue(header: string | undefined): string | undefined {
  const raw = header
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${COOKIE}=`))
    ?.slice(COOKIE.length + 1);
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
