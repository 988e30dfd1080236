/**
 * `rlm mcp` over stdio, spawned by the official MCP SDK's v1 Client (the one most agents run),
 * against the scripted model server: tools listed, ask over a folder with progress, cancellation,
 * roots (declared by the client, or --root) enforced by real paths, the server's end with stdin.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { BIN } from '../cli/support.ts';
import { connectStdio, findNeedle, hangingRun, makeWorkspace, NEEDLE, textOf, until, type Workspace } from './support.ts';

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

const modelFlags = (server: ScriptedModelServer) => ['--base-url', server.url, '--model', 'root', '--sub-model', 'sub'];

describe('rlm mcp over stdio', () => {
  it('lists its tools, with what an agent needs to choose them', async () => {
    const { client } = await connectStdio([...modelFlags(model), '--root', ws.project, '--max-cost', '2']);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['ask', 'list_corpora', 'preview']);
      const ask = tools.find((t) => t.name === 'ask')!;
      assert.deepEqual(Object.keys(ask.inputSchema.properties ?? {}).sort(), ['limits', 'paths', 'query', 'text']);
      assert.deepEqual(ask.inputSchema.required, ['query']);
      assert.match(ask.description!, /too large for your own context/);
      assert.match(ask.description!, /many model calls/);
      assert.match(ask.description!, /the server's: \$2/);
      assert.equal(ask.annotations?.readOnlyHint, true);
    } finally {
      await client.close();
    }
  });

  it('answers over a folder, with progress notifications as the run goes', async () => {
    const before = model.requests.length;
    const traces = join(ws.dir, 'traces');
    const { client } = await connectStdio([...modelFlags(model), '--root', ws.project, '--trace-dir', traces]);
    try {
      const progress: { progress: number; message?: string | undefined }[] = [];
      const result = await client.callTool({ name: 'ask', arguments: { query: 'What is the secret code?', paths: ['docs'] } }, undefined, {
        onprogress: (p) => progress.push(p),
      });
      assert.equal(result.isError, undefined, textOf(result));
      assert.equal((result.content as { text: string }[])[0]!.text, NEEDLE);
      const structured = result.structuredContent as { answer: string; status: string; usage: { calls: number } };
      assert.equal(structured.answer, NEEDLE);
      assert.equal(structured.status, 'done');
      assert.equal(structured.usage.calls, 2);
      assert.match(textOf(result), /context: 6 files/);
      // The root model was shown the folder's files, by their paths.
      const shown = model.requests
        .slice(before)
        .at(-1)!
        .messages.map((m) => m.content)
        .join('\n');
      assert.match(shown, /needle\.txt/);
      assert.match(shown, /deep\/filler-0\.md/);
      // Progress: the terminal's line, each turn at least, never going back.
      assert.ok(
        progress.some((p) => /^turn 1\/30 · sub-calls/.test(p.message ?? '')),
        JSON.stringify(progress),
      );
      assert.ok(
        progress.some((p) => /^turn 2\/30/.test(p.message ?? '')),
        JSON.stringify(progress),
      );
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.progress > progress[i - 1]!.progress);
      // One trace per ask, named in the result.
      const files = await readdir(traces);
      assert.equal(files.length, 1);
      assert.equal((result.structuredContent as { trace: string }).trace, join(traces, files[0]!));
      assert.match(await readFile(join(traces, files[0]!), 'utf8'), /"type":"run-end"/);
    } finally {
      await client.close();
    }
  });

  it('answers over text given in the call', async () => {
    const reader = await startScriptedServer({ script: byTurn([repl('FINAL(context.match(/[A-Z]+-\\d+/)[0])')]) });
    const { client } = await connectStdio([...modelFlags(reader), '--root', ws.project]);
    try {
      const text = `log line\nthe code is ${NEEDLE}\n`;
      const result = await client.callTool({ name: 'ask', arguments: { query: 'The code?', text } });
      assert.equal((result.content as { text: string }[])[0]!.text, NEEDLE, textOf(result));
      assert.equal((result.structuredContent as { context: string }).context, `${text.length} characters of text`);
    } finally {
      await client.close();
      await reader.close();
    }
  });

  it('refuses two inputs at once', async () => {
    const { client } = await connectStdio([...modelFlags(model), '--root', ws.project]);
    try {
      const both = await client.callTool({ name: 'ask', arguments: { query: 'q', text: 'abc', paths: ['docs'] } });
      assert.equal(both.isError, true);
      assert.match(textOf(both), /exactly one of paths .*text, or corpus: 2 were given/);
    } finally {
      await client.close();
    }
  });

  it('refuses a path outside the roots by its real path, as a tool error naming it and the roots', async () => {
    const before = model.requests.length;
    const { client } = await connectStdio([...modelFlags(model), '--root', ws.project]);
    try {
      for (const path of [
        ws.outside,
        join(ws.outside, 'secret.txt'),
        '../outside/secret.txt',
        'escape/secret.txt', // through a link inside the root to a folder outside
        'secret-link.txt', // a link inside the root to a file outside
        'escape', // the linked folder itself
        '../outside/*.txt', // a glob whose walk would start outside
        'escape/**/*.txt', // a glob whose walk would start through the link
        'docs/../../outside/secret.txt',
        '/etc/passwd',
      ]) {
        const result = await client.callTool({ name: 'ask', arguments: { query: 'What is secret?', paths: ['docs', path] } });
        assert.equal(result.isError, true, `${path}: ${textOf(result)}`);
        assert.match(textOf(result), /is outside the allowed roots/, path);
        assert.ok(textOf(result).includes(JSON.stringify(path)), path);
        assert.ok(textOf(result).includes(ws.project), path);
        assert.doesNotMatch(textOf(result), /TOP SECRET/);
        const preview = await client.callTool({ name: 'preview', arguments: { paths: [path] } });
        assert.equal(preview.isError, true, path);
      }
      // Nothing was asked of any model, and the server still serves.
      assert.equal(model.requests.length, before);
      const ok = await client.callTool({
        name: 'ask',
        arguments: { query: 'What is the secret code?', paths: [join(ws.project, 'docs')] },
      });
      assert.equal((ok.content as { text: string }[])[0]!.text, NEEDLE);
    } finally {
      await client.close();
    }
  });

  it('skips a link out of a folder it walks, and says so in preview', async () => {
    const { client } = await connectStdio([...modelFlags(model), '--root', ws.project]);
    try {
      const preview = await client.callTool({ name: 'preview', arguments: { paths: ['.'] } });
      assert.equal(preview.isError, undefined, textOf(preview));
      const s = preview.structuredContent as { files: { path: string }[]; skipped: { path: string; reason: string; detail?: string }[] };
      assert.ok(s.files.some((f) => f.path === 'docs/needle.txt'));
      assert.ok(!s.files.some((f) => f.path.includes('secret')));
      assert.deepEqual(
        s.skipped.filter((x) => x.reason === 'unreadable-link').map((x) => [x.path, x.detail]),
        [
          ['escape', 'points outside the folder'],
          ['secret-link.txt', 'points outside the folder'],
        ],
      );
      assert.doesNotMatch(textOf(preview), /TOP SECRET/);
    } finally {
      await client.close();
    }
  });

  it('honours the roots the client declares, and their change', async () => {
    // No --root, started elsewhere: the client's root is the base of relative paths and the limit.
    const { client } = await connectStdio(modelFlags(model), { roots: [ws.project], cwd: ws.outside });
    try {
      const ok = await client.callTool({ name: 'ask', arguments: { query: 'What is the secret code?', paths: ['docs'] } });
      assert.equal((ok.content as { text: string }[])[0]!.text, NEEDLE, textOf(ok));
      // The working folder is not a root when the client declares its own.
      const cwd = await client.callTool({ name: 'preview', arguments: { paths: [join(ws.outside, 'secret.txt')] } });
      assert.equal(cwd.isError, true);
      assert.match(textOf(cwd), /outside the allowed roots/);
    } finally {
      await client.close();
    }

    const roots = [join(ws.project, 'docs', 'deep')];
    const changing = await connectStdio(modelFlags(model), { roots, cwd: ws.outside });
    try {
      const narrow = await changing.client.callTool({ name: 'preview', arguments: { paths: [join(ws.project, 'docs', 'needle.txt')] } });
      assert.equal(narrow.isError, true);
      roots.splice(0, 1, join(ws.project, 'docs'));
      await changing.client.sendRootsListChanged();
      // The notification goes down the pipe before the call: the call sees the new roots.
      const wide = await changing.client.callTool({ name: 'preview', arguments: { paths: ['needle.txt'] } });
      assert.equal(wide.isError, undefined, textOf(wide));
    } finally {
      await changing.client.close();
    }
  });

  it('with --root and no client roots, reads only there; with neither, the folder it runs in', async () => {
    const { client } = await connectStdio(modelFlags(model), { cwd: ws.project });
    try {
      const inside = await client.callTool({ name: 'preview', arguments: { paths: ['docs/needle.txt'] } });
      assert.equal(inside.isError, undefined, textOf(inside));
      const outside = await client.callTool({ name: 'preview', arguments: { paths: ['../outside/secret.txt'] } });
      assert.equal(outside.isError, true);
    } finally {
      await client.close();
    }
  });

  it('cancelling the call cancels the run and every model call in flight', async () => {
    const { client, stderr } = await connectStdio([...modelFlags(hanging), '--root', ws.project]);
    try {
      const before = hanging.requests.length;
      const controller = new AbortController();
      const call = client.callTool({ name: 'ask', arguments: { query: 'q', paths: ['docs'] } }, undefined, { signal: controller.signal });
      await until(() => hanging.requests.slice(before).filter((r) => r.model === 'sub').length === 3, 15_000, 'the three sub-calls');
      assert.equal(hanging.inFlight, 3);
      controller.abort();
      await assert.rejects(call, /abort/i);
      // The hanging requests were cut by the run's cancellation, and nothing more was asked.
      await until(() => hanging.inFlight === 0, 10_000, 'the sub-calls to be cancelled');
      const seen = hanging.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(hanging.requests.length, seen);
      await until(() => /ask from rlm-test-client 1\.0\.0: cancelled/.test(stderr()), 10_000, 'the log of the cancelled run');
    } finally {
      await client.close();
    }
  });

  it('offers the operator corpora by name, always readable, with their counts', async () => {
    const { client } = await connectStdio([
      ...modelFlags(model),
      '--root',
      join(ws.project, 'docs', 'deep'),
      '--corpus',
      `notes=${join(ws.project, 'docs')}`,
    ]);
    try {
      const list = await client.callTool({ name: 'list_corpora', arguments: {} });
      const corpora = (list.structuredContent as { corpora: { name: string; documents: number }[] }).corpora;
      assert.deepEqual(
        corpora.map((c) => [c.name, c.documents]),
        [['notes', 6]],
      );
      const { tools } = await client.listTools();
      const schema = tools.find((t) => t.name === 'ask')!.inputSchema.properties as Record<string, { enum?: string[] }>;
      assert.deepEqual(schema.corpus?.enum, ['notes']);
      const answer = await client.callTool({ name: 'ask', arguments: { query: 'What is the secret code?', corpus: 'notes' } });
      assert.equal((answer.content as { text: string }[])[0]!.text, NEEDLE, textOf(answer));
    } finally {
      await client.close();
    }
  });

  it("a limit may lower the server's, and a run that ends without an answer is an error saying why", async () => {
    const { client } = await connectStdio([...modelFlags(model), '--root', ws.project, '--max-calls', '10']);
    try {
      const result = await client.callTool({ name: 'ask', arguments: { query: 'q', paths: ['docs'], limits: { maxCalls: 1 } } });
      assert.equal(result.isError, true, textOf(result));
      assert.match(textOf(result), /^rlm: no answer \(budget\)/);
      const s = result.structuredContent as { answer: unknown; status: string };
      assert.equal(s.answer, null);
      assert.equal(s.status, 'budget');
      // A higher limit than the server's does not raise it.
      const raised = await client.callTool({ name: 'ask', arguments: { query: 'q', paths: ['docs'], limits: { maxCalls: 1000 } } });
      assert.equal((raised.content as { text: string }[])[0]!.text, NEEDLE);
    } finally {
      await client.close();
    }
  });

  it('writes nothing but the protocol on stdout, and exits when the client closes stdin, cancelling its run', async () => {
    const child = spawn(process.execPath, ['--conditions=rlm-source', BIN, 'mcp', ...modelFlags(hanging), '--root', ws.project], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RLM_API_KEY: 'k' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await until(() => stdout.includes('"id":1'), 15_000, 'the initialize result');
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const before = hanging.requests.length;
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask', arguments: { query: 'q', paths: ['docs'] } } });
    await until(() => hanging.requests.slice(before).filter((r) => r.model === 'sub').length === 3, 15_000, 'the sub-calls');
    child.stdin.end();
    const { code, signal } = await exited;
    assert.equal(signal, null, stderr);
    assert.equal(code, 0, stderr);
    await until(() => hanging.inFlight === 0, 5000, 'the sub-calls to be cut');
    // Every line of stdout is a JSON-RPC message.
    for (const line of stdout.split('\n').filter(Boolean)) assert.equal(JSON.parse(line).jsonrpc, '2.0', line);
    assert.match(stderr, /the client closed the connection; stopped/);
  });
});
