/**
 * Clients of the 2026-07-28 protocol revision (the v2 SDK Client with its era pinned), over stdio
 * and over Streamable HTTP: the same tools, answers, progress and roots; cancellation ends the
 * run. That revision has no server-to-client requests, so the roots are --root's (or the folder
 * the server runs in) and there is no sampling.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAIModel } from '../../src/models/openai.ts';
import { startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { BIN } from '../cli/support.ts';
import { findNeedle, hangingRun, makeWorkspace, NEEDLE, serveHttp, textOf, until, type Workspace } from './support.ts';

// The v2 client comes with the MCP Inspector (a devDependency); without it there is no modern client to test with.
const v2 = await Promise.all([import('@modelcontextprotocol/client'), import('@modelcontextprotocol/client/stdio')]).catch(() => undefined);

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

type Kind = 'stdio' | 'http';

async function connect(kind: Kind, server: ScriptedModelServer) {
  const [{ Client, StreamableHTTPClientTransport }, { StdioClientTransport }] = v2!;
  const client = new Client({ name: 'modern-client', version: '2.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const models = async () => ({
    model: createOpenAIModel({ baseURL: server.url, apiKey: 'k', model: 'root' }),
    subModel: createOpenAIModel({ baseURL: server.url, apiKey: 'k', model: 'sub' }),
  });
  const http =
    kind === 'http'
      ? await serveHttp({ roots: [ws.project], corpora: {}, cwd: ws.dir, models, run: {}, limits: {}, log: () => {} })
      : undefined;
  const transport = http
    ? new StreamableHTTPClientTransport(http.url)
    : new StdioClientTransport({
        command: process.execPath,
        args: [
          '--conditions=rlm-source',
          BIN,
          'mcp',
          '--root',
          ws.project,
          '--base-url',
          server.url,
          '--model',
          'root',
          '--sub-model',
          'sub',
        ],
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RLM_API_KEY: 'k' },
        stderr: 'ignore',
      });
  await client.connect(transport);
  return {
    client,
    close: async () => {
      await client.close();
      await http?.close();
    },
  };
}

describe(
  'rlm MCP for 2026-07-28 clients',
  { skip: v2 ? false : 'the v2 SDK client (@modelcontextprotocol/client) is not installed' },
  () => {
    for (const kind of ['stdio', 'http'] as const) {
      it(`over ${kind}: lists, answers with progress, refuses outside the roots`, async () => {
        const { client, close } = await connect(kind, model);
        try {
          assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
          const { tools } = await client.listTools();
          assert.deepEqual(tools.map((t) => t.name).sort(), ['ask', 'list_corpora', 'preview']);
          const progress: string[] = [];
          const result = await client.callTool(
            { name: 'ask', arguments: { query: 'What is the secret code?', paths: ['docs'] } },
            { onprogress: (p) => progress.push(p.message ?? '') },
          );
          assert.equal((result.content as { text: string }[])[0]!.text, NEEDLE, textOf(result));
          assert.ok(
            progress.some((line) => /^turn 2\/30/.test(line)),
            JSON.stringify(progress),
          );
          const outside = await client.callTool({ name: 'preview', arguments: { paths: ['escape/secret.txt'] } });
          assert.equal(outside.isError, true);
          assert.match(textOf(outside), /outside the allowed roots/);
        } finally {
          await close();
        }
      });

      it(`over ${kind}: cancelling the call cancels the run`, async () => {
        const { client, close } = await connect(kind, hanging);
        try {
          const before = hanging.requests.length;
          const controller = new AbortController();
          const call = client.callTool({ name: 'ask', arguments: { query: 'q', paths: ['docs'] } }, { signal: controller.signal });
          await until(() => hanging.requests.slice(before).filter((r) => r.model === 'sub').length === 3, 15_000, 'the sub-calls');
          controller.abort();
          await assert.rejects(call);
          await until(() => hanging.inFlight === 0, 10_000, 'the sub-calls to be cancelled');
        } finally {
          await close();
        }
      });
    }
  },
);
