/**
 * A malicious or broken MCP client serving the runs by sampling: one that never answers a
 * sampling request cannot hold a run past its time limit, and one that answers with junk (no text,
 * odd shapes) ends the run with an error, not a crash of `rlm mcp`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectStdio, keylessEnv, textOf } from '../mcp/support.ts';

describe('rlm mcp against a hostile sampling client', () => {
  it('a client that never answers sampling: the run still ends at its time limit', { timeout: 120_000 }, async () => {
    const { client } = await connectStdio(['--timeout', '3000'], { env: await keylessEnv(), sample: () => new Promise<string>(() => {}) });
    try {
      const result = await client.callTool({ name: 'ask', arguments: { query: 'q', text: 'some text' } }, undefined, { timeout: 100_000 });
      assert.equal(result.isError, true, textOf(result));
      assert.match(textOf(result), /no answer \((timeout|budget_exceeded|error)\)/);
      // The server is still there for the next call.
      const tools = await client.listTools();
      assert.ok(tools.tools.some((tool) => tool.name === 'ask'));
    } finally {
      await client.close();
    }
  });

  it(
    'a client whose sampled replies are junk: the run ends without an answer, and the server serves on',
    { timeout: 120_000 },
    async () => {
      const { client } = await connectStdio(['--max-iterations', '2', '--timeout', '60000'], {
        env: await keylessEnv(),
        sample: async () => '\u0000'.repeat(10_000) + '```js\nwhile(true){}\n',
      });
      try {
        const result = await client.callTool({ name: 'ask', arguments: { query: 'q', text: 'some text' } }, undefined, {
          timeout: 100_000,
        });
        assert.ok(textOf(result).length > 0);
        const again = await client.callTool({ name: 'preview', arguments: { paths: ['.'] } });
        assert.ok(textOf(again).length > 0);
      } finally {
        await client.close();
      }
    },
  );
});
