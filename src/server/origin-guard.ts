/**
 * What keeps a web page elsewhere from using the server through its visitor's browser. A server on
 * loopback has no token by default, so a page on any site could otherwise start paid runs:
 *
 * - a "simple" cross-origin POST (`text/plain` or a form) needs no preflight, and would carry JSON
 *   just the same: a request with a body must say `application/json`, which a cross-origin page can
 *   send only after a preflight this server never grants;
 * - a request whose `Origin` is another site's is refused, whatever it carries (a page on another
 *   port of the same host is same-site, so even the SameSite cookie would go with it);
 * - a page whose own domain resolves to 127.0.0.1 (DNS rebinding) is the server's own origin to the
 *   browser: on loopback only loopback names (and the bound address) are served in `Host`.
 */
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.ts';

/** The `Host` names a loopback server answers to. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The `Host` names for a server bound to `host`: on loopback the loopback names, `host` itself and
 * the `extra` names an operator allows (a reverse proxy's, say); any name elsewhere.
 */
export function allowedHostsFor(host: string, loopback: boolean, extra: readonly string[] = []): readonly string[] | 'any' {
  if (!loopback) return 'any';
  const bound = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return [...new Set([...LOOPBACK_HOSTS, bound, ...extra].map((name) => name.toLowerCase()))];
}

/** Refuses foreign origins (403), other hosts (403) and bodies that are not JSON (415). */
export function originGuard(allowedHosts: readonly string[] | 'any'): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host');
    if (allowedHosts !== 'any' && (host === undefined || !allowedHosts.includes(hostname(host))))
      throw new HttpError(
        403,
        'permission_error',
        `this server answers only to ${allowedHosts.join(', ')}, not to the host ${JSON.stringify(host ?? '')}`,
        {
          code: 'host_not_allowed',
        },
      );
    const origin = c.req.header('origin');
    if (origin !== undefined && !sameOrigin(origin, [host, c.req.header('x-forwarded-host')]))
      throw new HttpError(403, 'permission_error', `requests from pages of another origin (${origin.slice(0, 100)}) are refused`, {
        code: 'origin_not_allowed',
      });
    if (hasBody(c.req.method) && !isJson(c.req.header('content-type')))
      throw new HttpError(415, 'invalid_request_error', 'the request body must be JSON, sent with Content-Type: application/json', {
        code: 'unsupported_media_type',
      });
    return next();
  };
}

/** `localhost:8787` → `localhost`; `[::1]:8787` → `[::1]`. */
function hostname(host: string): string {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return name.toLowerCase();
}

/**
 * A browser's `Origin` against the host it asked for: same host and port. `X-Forwarded-Host` is
 * trusted too: a page cannot set it on a request it sends elsewhere without a preflight.
 */
function sameOrigin(origin: string, hosts: (string | undefined)[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    // "null" (a sandboxed frame, a file:// page) and anything else unreadable.
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  return hosts.some((host) => host !== undefined && host.toLowerCase() === url.host.toLowerCase());
}

function hasBody(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

function isJson(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type?.startsWith('application/') === true && type.endsWith('+json'));
}
