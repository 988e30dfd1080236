/**
 * The rlm MCP server over Streamable HTTP, as one web-standard handler (`Request` in, `Response`
 * out) that `rlm serve` mounts at `/mcp`. Clients of the 2025 protocol (the initialize handshake:
 * what agents run today) get a stateful session each, with its own server, so that their roots,
 * sampling and progress travel on it; clients of the 2026-07-28 revision are served per request by
 * the SDK's own handler. Sessions end on DELETE, when idle too long, or at `close()`.
 *
 * @example
 * const mcp = createMcpHttpHandler({ ...options });
 * app.all('/mcp', (c) => mcp.handle(c.req.raw));
 */
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  isInitializeRequest,
  isLegacyRequest,
  localhostAllowedHostnames,
  readRequestBody,
  WebStandardStreamableHTTPServerTransport,
  type McpServer,
} from '@modelcontextprotocol/server';
import { randomUUID } from 'node:crypto';
import type { RlmMcpOptions } from './options.ts';
import { createRlmMcpServer } from './server.ts';

export interface McpHttpOptions extends RlmMcpOptions {
  /**
   * The `Host` names served (DNS-rebinding protection for a server on loopback): default
   * localhost, 127.0.0.1 and [::1]; `'any'` for a server reached by other names.
   */
  allowedHosts?: readonly string[] | 'any';
  /** A session with no request and no call running for this long is closed (default 30 minutes). */
  sessionIdleMs?: number;
  /** Most sessions open at once; a new one beyond is refused with 503 (default 100). */
  maxSessions?: number;
}

export interface McpHttpHandler {
  /** Serves one request to `/mcp` (POST, GET, DELETE). */
  handle(request: Request): Promise<Response>;
  /** Ends every session (cancelling their runs) and refuses what comes after. */
  close(): Promise<void>;
  /** Sessions open now. */
  readonly sessions: number;
}

const MAX_BODY = 4 * 1024 * 1024;

interface Session {
  readonly server: McpServer;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  lastSeen: number;
  running: number;
}

export function createMcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const maxSessions = options.maxSessions ?? 100;
  const hosts = options.allowedHosts ?? localhostAllowedHostnames();
  const sessions = new Map<string, Session>();
  const onerror = (error: Error) => options.log(`http: ${error.message}`);
  const modern = createMcpHandler(() => createRlmMcpServer(options), { legacy: 'reject', onerror });
  let closed = false;

  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const session of sessions.values()) if (session.running === 0 && now - session.lastSeen > idleMs) void session.transport.close();
    },
    Math.min(idleMs, 60_000),
  );
  sweep.unref();

  async function open(request: Request): Promise<Response> {
    const body = await readRequestBody(request, MAX_BODY);
    if (body.tooLarge) return jsonRpcError(413, -32600, 'the request body is too large');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch {
      return jsonRpcError(400, -32700, 'Parse error: the body is not JSON');
    }
    const initializing = Array.isArray(parsed) ? parsed.some((m) => isInitializeRequest(m)) : isInitializeRequest(parsed);
    if (!initializing) return jsonRpcError(400, -32000, 'Bad Request: no session: send initialize first, then the Mcp-Session-Id it gives');
    if (sessions.size >= maxSessions) return jsonRpcError(503, -32000, `too many sessions open (${maxSessions}): close one first`);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, session),
    });
    const server = createRlmMcpServer(options, () => {
      session.running++;
      return () => {
        session.running--;
        session.lastSeen = performance.now();
      };
    });
    const session: Session = { server, transport, lastSeen: performance.now(), running: 0 };
    // The server owns the transport's callbacks: its onclose is where a session ends, however it ends.
    server.server.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport.handleRequest(request, { parsedBody: parsed });
  }

  return {
    async handle(request) {
      if (closed) return jsonRpcError(503, -32000, 'the server is shutting down');
      if (hosts !== 'any') {
        const rejected = hostHeaderValidationResponse(request, [...hosts]);
        if (rejected) return rejected;
      }
      if (!(await isLegacyRequest(request, undefined, { maxRequestBodySize: MAX_BODY }))) return modern.fetch(request);
      const id = request.headers.get('mcp-session-id');
      if (id === null) {
        if (request.method !== 'POST') return jsonRpcError(400, -32000, 'Bad Request: no Mcp-Session-Id header');
        return open(request);
      }
      const session = sessions.get(id);
      if (!session) return jsonRpcError(404, -32001, 'Session not found: it ended or never was; initialize a new one');
      session.lastSeen = performance.now();
      return session.transport.handleRequest(request);
    },
    async close() {
      closed = true;
      clearInterval(sweep);
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled([...open.map((s) => s.server.close()), modern.close()]);
    },
    get sessions() {
      return sessions.size;
    },
  };
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });
}
