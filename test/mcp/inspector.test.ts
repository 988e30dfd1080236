/**
 * The MCP Inspector's CLI (`mcp-inspector --cli`, the official inspector, which runs the v2 SDK
 * client) spawns `rlm mcp` over stdio, lists its tools and calls them: offline, against the
 * scripted model server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { BIN } from '../cli/support.ts';
import { createOpenAIModel } from '../../src/models/openai.ts';
import { findNeedle, makeWorkspace, NEEDLE, serveHttp, type Workspace } from './support.ts';

const INSPECTOR = fileURLToPath(new URL('../../node_modules/.bin/mcp-inspector', import.meta.url));

let ws: Workspace;
let model: ScriptedModelServer;
let home: string;
before(async () => {
  ws = await makeWorkspace();
  model = await startScriptedServer({ script: findNeedle });
  // The inspector keeps a catalog under HOME: a fresh one, so the machine's is never touched.
  home = await mkdtemp(join(tmpdir(), 'rlm-inspector-home-'));
});
after(() => model.close());

/** Runs the inspector's CLI against `rlm mcp` over stdio, or against `url` over HTTP. */
function inspect(args: string[], url?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const stdio = [process.execPath, '--conditions=rlm-source', BIN, 'mcp', '--root', ws.project, '--base-url', model.url, '--model', 'root'];
  const target = url === undefined ? [...stdio, '-e', 'RLM_API_KEY=k'] : [url];
  return new Promise((resolve, reject) => {
    const child = spawn(INSPECTOR, ['--cli', ...target, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: home },
      cwd: ws.project,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the MCP Inspector CLI against rlm mcp', () => {
  it('tools/list', async () => {
    const run = await inspect(['--method', 'tools/list']);
    assert.equal(run.code, 0, run.stderr);
    const { tools } = JSON.parse(run.stdout) as { tools: { name: string; inputSchema: { required?: string[] } }[] };
    assert.deepEqual(tools.map((t) => t.name).sort(), ['ask', 'list_corpora', 'preview']);
    assert.deepEqual(tools.find((t) => t.name === 'ask')!.inputSchema.required, ['query']);
  });

  it('tools/call ask over a folder', async () => {
    const run = await inspect([
      '--method',
      'tools/call',
      '--tool-name',
      'ask',
      '--tool-arg',
      'query=What is the secret code?',
      '--tool-arg',
      'paths=["docs"]',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { content: { text: string }[]; structuredContent: { status: string }; isError?: boolean };
    assert.equal(result.isError, undefined, run.stdout);
    assert.equal(result.content[0]!.text, NEEDLE);
    assert.equal(result.structuredContent.status, 'done');
  });

  it('tools/call with a path outside the roots: a tool error', async () => {
    const run = await inspect(['--method', 'tools/call', '--tool-name', 'preview', '--tool-arg', `paths=["${ws.outside}"]`]);
    const result = JSON.parse(run.stdout) as { content: { text: string }[]; isError?: boolean };
    assert.equal(result.isError, true, run.stdout);
    assert.match(result.content[0]!.text, /outside the allowed roots/);
  });

  it('over Streamable HTTP too: tools/list and tools/call', async () => {
    const http = await serveHttp({
      roots: [ws.project],
      corpora: {},
      cwd: ws.project,
      models: async () => {
        const model_ = createOpenAIModel({ baseURL: model.url, apiKey: 'k', model: 'root' });
        return { model: model_, subModel: model_ };
      },
      run: {},
      limits: {},
      log: () => {},
    });
    try {
      const list = await inspect(['--method', 'tools/list'], http.url.href);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual((JSON.parse(list.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name).sort(), [
        'ask',
        'list_corpora',
        'preview',
      ]);
      const call = await inspect(
        ['--method', 'tools/call', '--tool-name', 'ask', '--tool-arg', 'query=What is the secret code?', '--tool-arg', 'paths=["docs"]'],
        http.url.href,
      );
      assert.equal(call.code, 0, call.stderr);
      assert.equal((JSON.parse(call.stdout) as { content: { text: string }[] }).content[0]!.text, NEEDLE, call.stdout);
    } finally {
      await http.close();
    }
  });
});
