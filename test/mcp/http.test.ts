/**
 * The MCP server over Streamable HTTP: the handler `rlm serve` mounts at /mcp, served on loopback
 * by node:http, and the official v1 SDK Client over StreamableHTTPClientTransport: tools listed,
 * ask with progress, cancellation, sessions apart and closed, hosts checked.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createOpenAIModel } from '../../src/models/openai.ts';
import type { RlmMcpOptions } from '../../src/mcp/options.ts';
import { startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { connectHttp, findNeedle, hangingRun, makeWorkspace, NEEDLE, serveHttp, textOf, until, type Workspace } from './support.ts';

let ws: Workspace;
let model: ScriptedModelServer;
let hanging: ScriptedModelServer;
before(async () => {
  ws = await makeWorkspace();
  model = await startScriptedServer({ script: findNeedle });
  hanging = await startScriptedServer({ script: hangingRun });
});
after(async () => {
  await model.close();
  await hanging.close();
});

function options(server: ScriptedModelServer, log: string[] = []): RlmMcpOptions {
  return {
    roots: [ws.project],
    corpora: {},
    cwd: ws.project,
    models: async () => ({
      model: createOpenAIModel({ baseURL: server.url, apiKey: 'k', model: 'root' }),
      subModel: createOpenAIModel({ baseURL: server.url, apiKey: 'k', model: 'sub' }),
    }),
    run: {},
    limits: {},
    log: (line) => log.push(line),
  };
}

describe('rlm MCP over Streamable HTTP', () => {
  it('lists the tools and answers an ask over a folder, with progress', async () => {
    const http = await serveHttp(options(model));
    const { client, transport } = await connectHttp(http.url);
    try {
      assert.ok(transport.sessionId, 'a stateful session');
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['ask', 'list_corpora', 'preview']);
      const progress: { progress: number; message?: string | undefined }[] = [];
      const result = await client.callTool({ name: 'ask', arguments: { query: 'What is the secret code?', paths: ['docs'] } }, undefined, {
        onprogress: (p) => progress.push(p),
      });
      assert.equal((result.content as { text: string }[])[0]!.text, NEEDLE, textOf(result));
      assert.equal((result.structuredContent as { status: string }).status, 'done');
      assert.ok(
        progress.some((p) => /^turn 2\/30/.test(p.message ?? '')),
        JSON.stringify(progress),
      );
      const outside = await client.callTool({ name: 'ask', arguments: { query: 'q', paths: ['escape/secret.txt'] } });
      assert.equal(outside.isError, true);
      assert.match(textOf(outside), /outside the allowed roots/);
    } finally {
      await client.close();
      await http.close();
    }
  });

  it('serves many sessions apart, and ends one on DELETE', async () => {
    const http = await serveHttp(options(model));
    try {
      const clients = await Promise.all([1, 2, 3].map(() => connectHttp(http.url)));
      assert.equal(http.handler.sessions, 3);
      assert.equal(new Set(clients.map((c) => c.transport.sessionId)).size, 3);
      const answers = await Promise.all(
        clients.map(({ client }) => client.callTool({ name: 'ask', arguments: { query: 'What is the secret code?', paths: ['docs'] } })),
      );
      for (const answer of answers) assert.equal((answer.content as { text: string }[])[0]!.text, NEEDLE);
      const [first] = clients;
      const id = first!.transport.sessionId!;
      await first!.transport.terminateSession();
      assert.equal(http.handler.sessions, 2);
      const gone = await fetch(http.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': id,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      });
      assert.equal(gone.status, 404);
      for (const { client } of clients) await client.close();
    } finally {
      await http.close();
    }
  });

  it('cancelling the call cancels the run; closing the handler ends the sessions and their runs', async () => {
    const log: string[] = [];
    const http = await serveHttp(options(hanging, log));
    const { client } = await connectHttp(http.url);
    try {
      const before = hanging.requests.length;
      const controller = new AbortController();
      const call = client.callTool({ name: 'ask', arguments: { query: 'q', paths: ['docs'] } }, undefined, { signal: controller.signal });
      await until(() => hanging.requests.slice(before).filter((r) => r.model === 'sub').length === 3, 15_000, 'the sub-calls');
      controller.abort();
      await assert.rejects(call, /abort/i);
      await until(() => hanging.inFlight === 0, 10_000, 'the sub-calls to be cancelled');
      const seen = hanging.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(hanging.requests.length, seen);
      await until(() => log.some((l) => /: cancelled in/.test(l)), 5000, 'the log of the cancelled run');

      // A run still going when the server closes is cancelled with it.
      const again = client.callTool({ name: 'ask', arguments: { query: 'q', paths: ['docs'] } }).catch((error: unknown) => error);
      await until(() => hanging.inFlight === 3, 15_000, 'the second run');
      await http.handler.close();
      await until(() => hanging.inFlight === 0, 10_000, 'the second run to be cancelled');
      assert.equal(http.handler.sessions, 0);
      // The client's call ends with its connection (it would otherwise wait out its own timeout).
      await client.close();
      assert.ok((await again) instanceof Error);
    } finally {
      await client.close().catch(() => {});
      await http.close();
    }
  });

  it("honours the roots each session's client declares", async () => {
    const http = await serveHttp({ ...options(model), roots: [], cwd: ws.outside });
    try {
      const narrow = await connectHttp(http.url, { roots: [join(ws.project, 'docs', 'deep')] });
      const wide = await connectHttp(http.url, { roots: [ws.project] });
      const inNarrow = await narrow.client.callTool({ name: 'preview', arguments: { paths: ['../needle.txt'] } });
      assert.equal(inNarrow.isError, true);
      const inWide = await wide.client.callTool({ name: 'ask', arguments: { query: 'What is the secret code?', paths: ['docs'] } });
      assert.equal((inWide.content as { text: string }[])[0]!.text, NEEDLE, textOf(inWide));
      await narrow.client.close();
      await wide.client.close();
    } finally {
      await http.close();
    }
  });

  it('closes a session left idle', async () => {
    const http = await serveHttp({ ...options(model), sessionIdleMs: 100 });
    try {
      const { client } = await connectHttp(http.url);
      assert.equal(http.handler.sessions, 1);
      await until(() => http.handler.sessions === 0, 5000, 'the idle session to close');
      await client.close();
    } finally {
      await http.close();
    }
  });

  it('refuses a Host it does not serve (DNS rebinding), and a request without a session', async () => {
    const http = await serveHttp(options(model));
    try {
      const initialize = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      };
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const rebound = await http.handler.handle(
        new Request('http://evil.example:8080/mcp', {
          method: 'POST',
          headers: { ...headers, host: 'evil.example:8080' },
          body: JSON.stringify(initialize),
        }),
      );
      assert.equal(rebound.status, 403);
      const noSession = await fetch(http.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      assert.equal(noSession.status, 400);
      assert.equal(http.handler.sessions, 0);
    } finally {
      await http.close();
    }
  });
});
