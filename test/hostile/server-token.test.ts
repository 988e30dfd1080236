/**
 * The token's address flow and malformed paths: `/?token=` sends the browser on only within the
 * server (never to `//another.host`), the token is never echoed, and a malformed escape in a model
 * id is the client's 400, not the server's 500.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repl } from '../../src/testing/index.ts';
import { startRunsServer } from '../server/runs-harness.ts';

const TOKEN = 'tok-3f9a';

describe('rlm serve token and paths', () => {
  it(
    'redirects after ?token= only within the server, sets the cookie HttpOnly and SameSite, echoes no token',
    { timeout: 60_000 },
    async () => {
      const server = await startRunsServer(() => repl("FINAL('ok')"), { token: TOKEN });
      try {
        for (const path of ['//evil.example/', '/\\evil.example/', '///evil.example/runs']) {
          const answer = await fetch(`${server.url}${path}?token=${TOKEN}&x=1`, { redirect: 'manual' });
          assert.equal(answer.status, 303, path);
          const location = answer.headers.get('location')!;
          assert.ok(location.startsWith('/') && !location.startsWith('//') && !location.startsWith('/\\'), `${path} → ${location}`);
          assert.ok(!location.includes(TOKEN), location);
          assert.match(answer.headers.get('set-cookie')!, /HttpOnly; SameSite=Strict; Path=\//);
          // Resolved against the server, it stays on the server.
          assert.equal(new URL(location, server.url).origin, server.url);
        }
        const wrong = await fetch(`${server.url}/v1/runs`, { headers: { authorization: `Bearer ${TOKEN}x` } });
        assert.equal(wrong.status, 401);
        assert.ok(!(await wrong.text()).includes(TOKEN));
      } finally {
        await server.close();
      }
    },
  );

  it('a malformed escape in a model id is a 400', { timeout: 60_000 }, async () => {
    const server = await startRunsServer(() => repl("FINAL('ok')"));
    try {
      const answer = await fetch(`${server.url}/v1/models/rlm%E0%A4%A`);
      assert.equal(answer.status, 400);
      assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'invalid_parameter');
      assert.equal((await fetch(`${server.url}/v1/models/rlm%2Fdocs`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
