/** The MCP endpoint of `rlm serve`: the official SDK client over Streamable HTTP, with the server's token. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';
import { BIN } from '../cli/support.ts';
import { until } from './chat-harness.ts';

describe('rlm serve at /mcp', () => {
  it('answers an MCP ask over a corpus with the bearer token, and refuses a client without it', { timeout: 120_000 }, async () => {
    const scripted = await startScriptedServer({ script: byTurn([repl('FINAL(`files: ${context.length}`)')]) });
    const dir = await mkdtemp(join(tmpdir(), 'rlm-serve-mcp-'));
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'a.md'), 'alpha');
    await writeFile(join(dir, 'docs', 'b.md'), 'beta');
    await writeFile(join(dir, 'secret.txt'), 'not for MCP clients');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--port',
        '0',
        '--base-url',
        scripted.url,
        '--model',
        'root',
        '--token',
        'mcp-token',
        '--corpus',
        `docs=${join(dir, 'docs')}`,
        '--root',
        join(dir, 'docs'),
        '--trace-dir',
        join(dir, 'traces'),
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await until(() => /http:\/\/\S+\/v1 ·/.test(stderr) || child.exitCode !== null);
      const base = /(http:\/\/\S+)\/v1 ·/.exec(stderr)?.[1];
      assert.ok(base, stderr);
      const url = new URL(`${base}/mcp`);

      const stranger = new Client({ name: 'stranger', version: '1.0.0' });
      await assert.rejects(stranger.connect(new StreamableHTTPClientTransport(url)), /401|token/i);

      // A client that declares its own folder as a root: over the network, that names a folder of
      // the client's machine, so it opens nothing here; only --root does.
      const client = new Client({ name: 'test', version: '1.0.0' }, { capabilities: { roots: {} } });
      client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: pathToFileURL(dir).href }] }));
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: 'Bearer mcp-token' } } }));
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'ask'));
      const result = await client.callTool({ name: 'ask', arguments: { query: 'how many files?', corpus: 'docs' } });
      assert.equal((result.content as { text: string }[])[0]!.text, 'files: 2', JSON.stringify(result));
      const overPaths = await client.callTool({ name: 'ask', arguments: { query: 'how many files?', paths: ['.'] } });
      assert.equal((overPaths.content as { text: string }[])[0]!.text, 'files: 2', JSON.stringify(overPaths));
      const outside = await client.callTool({ name: 'ask', arguments: { query: 'what is secret?', paths: [join(dir, 'secret.txt')] } });
      assert.equal(outside.isError, true);
      assert.match((outside.content as { text: string }[])[0]!.text, /outside the allowed roots/);
      await client.close();

      // The asks went through the server's runs: listed, with a trace, and counted against its cap.
      const listed = (await (await fetch(`${base}/v1/runs`, { headers: { authorization: 'Bearer mcp-token' } })).json()) as {
        data: { id: string; origin?: string; state: string }[];
      };
      const asks = listed.data.filter((run) => run.origin === 'mcp');
      assert.equal(asks.length, 2, JSON.stringify(listed));
      assert.ok(asks.every((run) => run.state === 'done'));
      assert.match(JSON.stringify(result.structuredContent), /\/runs\/run_/);

      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
      await scripted.close();
    }
  });
});
