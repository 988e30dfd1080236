/**
 * Another site's page against `rlm serve` on loopback with no token (the default): a "simple"
 * cross-origin POST (text/plain, a form), a foreign Origin, and DNS rebinding (a Host that is not a
 * loopback name) start no run. The server's own page, same origin, still does.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { repl, startScriptedServer } from '../../src/testing/index.ts';
import { BIN } from '../cli/support.ts';
import { startRunsServer, type RunsServer } from '../server/runs-harness.ts';
import { launchChromium, skipWithoutChromium } from '../support/browser.ts';

const skipBrowser = skipWithoutChromium;
const RUN = JSON.stringify({ model: 'rlm', query: 'spend', context: 'money' });
const CHAT = JSON.stringify({ model: 'rlm', messages: [{ role: 'user', content: 'spend' }] });

/** A raw request, so that Host and Origin are exactly what an attacker's browser would send. */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function withServer(test: (server: RunsServer) => Promise<void>): Promise<void> {
  const server = await startRunsServer(() => repl("FINAL('spent')"));
  try {
    await test(server);
  } finally {
    await server.close();
  }
}

describe('rlm serve against other sites', () => {
  it('refuses a JSON body sent as text/plain or as a form: no run starts', { timeout: 60_000 }, async () => {
    await withServer(async (server) => {
      const host = new URL(server.url).host;
      for (const [path, body] of [
        ['/v1/runs', RUN],
        ['/v1/chat/completions', CHAT],
      ] as const) {
        for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
          const answer = await raw(server.url, 'POST', path, { host, 'content-type': type }, body);
          assert.equal(answer.status, 415, `${path} as ${type}: ${answer.text}`);
          assert.equal(JSON.parse(answer.text).error.code, 'unsupported_media_type');
        }
        const none = await raw(server.url, 'POST', path, { host }, body);
        assert.equal(none.status, 415, `${path} with no content type`);
      }
      assert.equal(server.state.manager.list().length, 0);
      assert.equal(server.model.requests.length, 0);
    });
  });

  it(
    'refuses a request from a page of another origin, and a Host that is not a loopback name (DNS rebinding)',
    { timeout: 60_000 },
    async () => {
      await withServer(async (server) => {
        const { host, port } = new URL(server.url);
        const json = { host, 'content-type': 'application/json' };
        for (const origin of [`http://127.0.0.1:${Number(port) + 1}`, `http://localhost:${port}`, 'http://evil.example', 'null']) {
          const answer = await raw(server.url, 'POST', '/v1/runs', { ...json, origin }, RUN);
          assert.equal(answer.status, 403, `Origin ${origin}: ${answer.text}`);
          assert.equal(JSON.parse(answer.text).error.code, 'origin_not_allowed');
        }
        // A rebound name: the browser thinks evil.example:<port> is the page's own origin.
        const rebound = `evil.example:${port}`;
        for (const [method, path] of [
          ['POST', '/v1/runs'],
          ['GET', '/v1/runs'],
          ['GET', '/'],
        ] as const) {
          const answer = await raw(
            server.url,
            method,
            path,
            { ...json, host: rebound, origin: `http://${rebound}` },
            method === 'POST' ? RUN : undefined,
          );
          assert.equal(answer.status, 403, `${method} ${path} with Host ${rebound}: ${answer.text}`);
          assert.equal(JSON.parse(answer.text).error.code, 'host_not_allowed');
        }
        assert.equal(server.state.manager.list().length, 0);
        // The same requests from the server's own origin, by a loopback name, are served.
        const own = await raw(server.url, 'POST', '/v1/runs', { ...json, origin: server.url }, RUN);
        assert.equal(own.status, 202, own.text);
        const byName = await raw(server.url, 'GET', '/v1/runs', { host: `localhost:${port}` });
        assert.equal(byName.status, 200, byName.text);
      });
    },
  );

  it(
    'in Chromium, a page on another origin cannot start a run by fetch or by a form',
    { skip: skipBrowser, timeout: 120_000 },
    async () => {
      await withServer(async (server) => {
        // The attacker's page, on another port of the same host: another origin, the same site.
        const target = server.url;
        const page = `<!doctype html><form id=f method=post enctype=text/plain action="${target}/v1/runs">
<input name='{"model":"rlm","query":"spend","context":"x","pad":"' value='"}'></form>
<script>
window.done = (async () => {
  const out = [];
  for (const path of ['/v1/runs', '/v1/chat/completions']) {
    const body = path === '/v1/runs' ? ${JSON.stringify(RUN)} : ${JSON.stringify(CHAT)};
    try { await fetch('${target}' + path, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body }); out.push('sent'); } catch (e) { out.push(String(e)); }
    try { await fetch('${target}' + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body }); out.push('read'); } catch (e) { out.push('blocked'); }
  }
  return out;
})();
</script>`;
        const attacker: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
        await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
        const browser = await launchChromium();
        try {
          const tab = await browser.newPage();
          await tab.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
          const results = (await tab.evaluate('window.done')) as string[];
          // The preflighted JSON requests are refused by the browser (no CORS grant).
          assert.deepEqual(results, ['sent', 'blocked', 'sent', 'blocked']);
          await Promise.all([tab.waitForNavigation().catch(() => undefined), tab.evaluate("document.getElementById('f').submit()")]);
          assert.equal(server.state.manager.list().length, 0, 'no run was started');
          assert.equal(server.model.requests.length, 0, 'no model was called');
          // The server's own page, same origin, still starts runs.
          const own = await browser.newPage();
          await own.goto(`${target}/`);
          const status = await own.evaluate(
            `fetch('/v1/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(RUN)} }).then((r) => r.status)`,
          );
          assert.equal(status, 202);
        } finally {
          await browser.close();
          attacker.closeAllConnections();
          await new Promise((resolve) => attacker.close(resolve));
        }
      });
    },
  );

  it('rlm serve --allow-host serves the name a proxy sends on loopback, and no other', { timeout: 60_000 }, async () => {
    const model = await startScriptedServer({ script: () => repl("FINAL('ok')") });
    const child = spawn(
      process.execPath,
      [
        '--conditions=rlm-source',
        BIN,
        'serve',
        '--port',
        '0',
        '--base-url',
        model.url,
        '--model',
        'root',
        '--allow-host',
        'Docs.Example.com',
      ],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RLM_API_KEY: 'k' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const found = /(http:\/\/\S+)\/v1 ·/.exec(stderr)?.[1];
          if (found) resolve(found);
        });
        child.on('close', () => reject(new Error(`rlm serve exited: ${stderr}`)));
      });
      const { port } = new URL(url);
      assert.equal((await raw(url, 'GET', '/v1/models', { host: `docs.example.com:${port}` })).status, 200);
      assert.equal((await raw(url, 'GET', '/v1/models', { host: `evil.example:${port}` })).status, 403);
      // /mcp answers to the same names: its own Host check is given them too.
      const mcp = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const init = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      });
      assert.equal((await raw(url, 'POST', '/mcp', { ...mcp, host: `docs.example.com:${port}` }, init)).status, 200);
      assert.equal((await raw(url, 'POST', '/mcp', { ...mcp, host: `evil.example:${port}` }, init)).status, 403);
    } finally {
      child.kill('SIGKILL');
      await model.close();
    }
  });
});
