/**
 * No key, no base URL, no local server: a client that declares MCP sampling serves the run with
 * its own model through `sampling/createMessage`, over stdio and over HTTP. Without sampling, the
 * ask is a tool error that says how to configure a model.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { byTurn, repl } from '../../src/testing/index.ts';
import { RlmError } from '../../src/errors.ts';
import { connectHttp, connectStdio, keylessEnv, makeWorkspace, NEEDLE, serveHttp, textOf, type Workspace } from './support.ts';

let ws: Workspace;
before(async () => {
  ws = await makeWorkspace();
});

/** The client's "model": the replies a scripted root would give, turn by turn, with what it was sent. */
function clientModel() {
  const seen: { systemPrompt?: string; messages: { role: string; content: { type: string; text?: string } }[]; maxTokens: number }[] = [];
  const root = byTurn([
    repl("const doc = context.find((d) => d.path.endsWith('needle.txt')); print(doc.text)"),
    repl("FINAL(context.find((d) => d.path.endsWith('needle.txt')).text.match(/[A-Z]+-\\d+/)[0])"),
  ]);
  const sample = async (params: (typeof seen)[number]) => {
    seen.push(params);
    const messages = [
      ...(params.systemPrompt ? [{ role: 'system', content: params.systemPrompt }] : []),
      ...params.messages.map((m) => ({ role: m.role, content: m.content.text ?? '' })),
    ];
    const reply = await root({
      index: seen.length - 1,
      wire: 'openai',
      model: 'client',
      messages,
      stream: false,
      system: params.systemPrompt,
      lastUser: '',
      body: {},
    });
    return typeof reply === 'string' ? reply : (reply.content ?? '');
  };
  return { seen, sample };
}

describe('rlm mcp with no key: the client model serves by sampling', () => {
  it('over stdio', async () => {
    const { seen, sample } = clientModel();
    const { client, stderr } = await connectStdio(['--root', ws.project], { env: await keylessEnv(), sample });
    try {
      const result = await client.callTool({ name: 'ask', arguments: { query: 'What is the secret code?', paths: ['docs'] } });
      assert.equal(result.isError, undefined, `${textOf(result)}\n${stderr()}`);
      assert.equal((result.content as { text: string }[])[0]!.text, NEEDLE);
      const s = result.structuredContent as { model: string; usage: { calls: number; estimatedCalls: number } };
      assert.equal(s.model, 'sampling');
      assert.equal(s.usage.calls, 2);
      assert.equal(s.usage.estimatedCalls, 2);
      assert.match(textOf(result), /sampling: tokens estimated, no price/);
      // rlm's system prompt went as the sampling systemPrompt; the conversation as its messages.
      assert.equal(seen.length, 2);
      assert.match(seen[0]!.systemPrompt ?? '', /REPL/);
      assert.equal(seen[0]!.messages[0]!.role, 'user');
      assert.ok(seen[0]!.maxTokens > 0);
      assert.deepEqual(
        seen[1]!.messages.map((m) => m.role),
        ['user', 'assistant', 'user'],
      );
      // A cost limit cannot hold over a model with neither tokens nor prices: refused, not ignored.
      const limited = await client.callTool({ name: 'ask', arguments: { query: 'q', paths: ['docs'], limits: { maxCostUsd: 1 } } });
      assert.equal(limited.isError, true);
      assert.match(textOf(limited), /a cost limit cannot hold on the client's own model/);
      assert.equal(seen.length, 2);
    } finally {
      await client.close();
    }
  });

  it('over Streamable HTTP', async () => {
    const { seen, sample } = clientModel();
    const http = await serveHttp({
      roots: [ws.project],
      corpora: {},
      cwd: ws.project,
      models: async () => {
        throw new RlmError('RLM_MISSING_KEY', 'no model configured: OPENAI_API_KEY and RLM_API_KEY are not set');
      },
      run: {},
      limits: {},
      log: () => {},
    });
    const { client } = await connectHttp(http.url, { sample });
    try {
      const result = await client.callTool({ name: 'ask', arguments: { query: 'What is the secret code?', paths: ['docs'] } });
      assert.equal((result.content as { text: string }[])[0]!.text, NEEDLE, textOf(result));
      assert.equal(seen.length, 2);
    } finally {
      await client.close();
      await http.close();
    }
  });

  it('without sampling, an ask says how to configure a model, as rlm ask does', async () => {
    const { client } = await connectStdio(['--root', ws.project], { env: await keylessEnv() });
    try {
      const result = await client.callTool({ name: 'ask', arguments: { query: 'q', paths: ['docs'] } });
      assert.equal(result.isError, true);
      assert.match(textOf(result), /no model configured: OPENAI_API_KEY and RLM_API_KEY are not set, and no local server answered/);
      assert.match(textOf(result), /set OPENAI_API_KEY, or start Ollama, or pass --base-url/);
      assert.match(textOf(result), /or connect from an MCP client that supports sampling/);
    } finally {
      await client.close();
    }
  });
});
