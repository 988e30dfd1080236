/**
 * What the MCP tests share: a folder with a needle file, a scripted root model that finds it, the
 * official v1 SDK client over stdio (spawning `rlm mcp`) and over Streamable HTTP (to the handler
 * served on loopback).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { mkdir, mkdtemp, realpath, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { byTurn, repl, type ScriptedReply, type ScriptedRequest } from '../../src/testing/index.ts';
import { createMcpHttpHandler, type McpHttpOptions } from '../../src/mcp/http.ts';
import { BIN } from '../cli/support.ts';
import { freePort } from '../support/net.ts';

export const NEEDLE = 'PELICAN-42';

/** A workspace: `project/` (a needle among fillers, a link out), `outside/` (a secret) beside it. */
export interface Workspace {
  dir: string;
  project: string;
  outside: string;
}

export async function makeWorkspace(): Promise<Workspace> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'rlm-mcp-')));
  const project = join(dir, 'project');
  const outside = join(dir, 'outside');
  await mkdir(join(project, 'docs', 'deep'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(project, 'docs', 'needle.txt'), `Notes.\nThe secret code is ${NEEDLE}.\nEnd.\n`);
  for (let i = 0; i < 5; i++) await writeFile(join(project, 'docs', 'deep', `filler-${i}.md`), `# Filler ${i}\nNothing here.\n`);
  await writeFile(join(project, 'README.md'), '# Project\n');
  await writeFile(join(outside, 'secret.txt'), 'TOP SECRET\n');
  await symlink(outside, join(project, 'escape'));
  await symlink(join(outside, 'secret.txt'), join(project, 'secret-link.txt'));
  return { dir, project, outside };
}

/** A root model that prints the paths it was given, then answers with the code in the needle file. */
export const findNeedle = byTurn([
  repl("print(context.map((d) => d.path).join('\\n'))"),
  repl("const doc = context.find((d) => d.path.endsWith('needle.txt')); FINAL(doc ? doc.text.match(/[A-Z]+-\\d+/)[0] : 'no needle')"),
]);

/** Root turns that start sub-calls which hang: a run that goes on until it is cancelled. */
export function hangingRun(request: ScriptedRequest): ScriptedReply | Promise<ScriptedReply> {
  if (request.model === 'sub') return { fail: 'hang' };
  return byTurn([repl("const parts = await Promise.all([1, 2, 3].map((i) => llm_query('part ' + i))); print(parts)")])(request);
}

/** An environment with no key, no base URL, and no local server to be found. */
export async function keylessEnv(): Promise<Record<string, string>> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RLM_LOCAL_URL: `http://127.0.0.1:${await freePort()}/v1` };
}

export interface ClientOptions {
  /** Roots the client declares (folders); none: it does not declare the roots capability. */
  roots?: string[];
  /** Plays the model for `sampling/createMessage`: the client declares sampling. */
  sample?: (params: {
    systemPrompt?: string;
    messages: { role: string; content: { type: string; text?: string } }[];
    maxTokens: number;
  }) => Promise<string>;
}

/** A v1 SDK client, with the capabilities asked for. */
export function makeClient(options: ClientOptions = {}): Client {
  const capabilities = {
    ...(options.roots ? { roots: { listChanged: true } } : {}),
    ...(options.sample ? { sampling: {} } : {}),
  };
  const client = new Client({ name: 'rlm-test-client', version: '1.0.0' }, { capabilities });
  if (options.roots) {
    const roots = options.roots;
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: roots.map((folder) => ({ uri: pathToFileURL(folder).href, name: folder })),
    }));
  }
  if (options.sample) {
    const sample = options.sample;
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
      role: 'assistant',
      model: 'client-model',
      stopReason: 'endTurn',
      content: { type: 'text', text: await sample(request.params as Parameters<typeof sample>[0]) },
    }));
  }
  return client;
}

/** `rlm mcp` spawned by the SDK's stdio transport, its stderr collected. */
export async function connectStdio(
  args: string[],
  options: ClientOptions & { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ client: Client; stderr: () => string; transport: StdioClientTransport }> {
  const client = makeClient(options);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--conditions=rlm-source', BIN, 'mcp', ...args],
    env: options.env ?? { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RLM_API_KEY: 'test-key' },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await client.connect(transport);
  return { client, stderr: () => stderr, transport };
}

/** The HTTP handler served on a free port of 127.0.0.1 through node:http. */
export async function serveHttp(
  options: McpHttpOptions,
): Promise<{ url: URL; handler: ReturnType<typeof createMcpHttpHandler>; close: () => Promise<void> }> {
  const handler = createMcpHttpHandler(options);
  const server = createServer((req, res) => void serveOne(req, res));
  async function serveOne(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method ?? 'GET',
      headers: Object.entries(req.headers).flatMap(([k, v]) =>
        v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v] as [string, string]],
      ),
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      signal: controller.signal,
    });
    const response = await handler.handle(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return void res.end();
    const reader = response.body.getReader();
    res.on('close', () => void reader.cancel().catch(() => {}));
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        res.write(value);
      }
    } catch {
      // the client went away
    }
    res.end();
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    handler,
    close: async () => {
      await handler.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A v1 SDK client connected over Streamable HTTP. */
export async function connectHttp(
  url: URL,
  options: ClientOptions = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = makeClient(options);
  const transport = new StreamableHTTPClientTransport(url);
  await client.connect(transport);
  return { client, transport };
}

/** Waits until `check` holds, polling. */
export async function until(check: () => boolean, timeoutMs = 10_000, what = 'the condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The text blocks of a tool result, joined. */
export function textOf(result: unknown): string {
  return ((result as { content?: { type: string; text?: string }[] }).content ?? []).map((c) => c.text ?? '').join('\n');
}
