/**
 * Finding 4: memory a REPL's cap does not see. Python writing 50 MB files to its in-memory /tmp
 * under a 256 MiB cap; Python pushing a huge request through its host-call device; JavaScript
 * under a 64 MiB cap making ICU objects (Intl), whose memory lives outside the V8 heap; twelve
 * unawaited sub-calls with 150 M-character prompts. Promised: the REPL process stays under its
 * cap plus a margin (512 MiB here), the cell fails (out of memory, refused), the REPL is rebuilt
 * if it had to be, and the run goes on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PROMPT_CHARS } from '../../src/sandboxes/index.ts';
import { repl } from '../../src/testing/index.ts';
import { assertAnswered, assertContained, attackRun, finalTurn, watched, type Language } from './support.ts';

const TIMEOUT = { timeout: 60_000 };

interface Case {
  name: string;
  language: Language;
  memoryLimitMb: number;
  code: string;
  /** True when the promise is that the cell fails (else only that it is contained). */
  cellFails: boolean;
}

const CASES: Case[] = [
  {
    name: 'python, 256 MiB: 50 MB files written to /tmp in a loop',
    language: 'python',
    memoryLimitMb: 256,
    code: "for i in range(30):\n    with open('/tmp/f%d' % i, 'wb') as f:\n        f.write(b'x' * 50_000_000)\nprint('wrote them all')",
    cellFails: true,
  },
  {
    name: 'python, 256 MiB: a 150 M-character request through the host-call device',
    language: 'python',
    memoryLimitMb: 256,
    code: "p = 'x' * 150_000_000\nllm_query(p)\nprint('sent')",
    cellFails: true,
  },
  {
    name: 'javascript, 64 MiB: Intl.Segmenter objects made without end',
    language: 'javascript',
    memoryLimitMb: 64,
    code: 'for (;;) new Intl.Segmenter();',
    cellFails: true,
  },
  {
    // Each with its own arguments (a private-use locale tag), so no two can be one shared object.
    name: 'javascript, 64 MiB: millions of different Intl.DateTimeFormat objects kept',
    language: 'javascript',
    memoryLimitMb: 64,
    code: "const keep = [];\nfor (let i = 0; i < 5_000_000; i++) keep.push(new Intl.DateTimeFormat('en-x-' + i.toString(36).padStart(4, '0'), { timeZone: 'UTC' }));\nprint(keep.length)",
    cellFails: true,
  },
  {
    name: 'javascript, 256 MiB: twelve unawaited llm_query calls with 150 M-character prompts',
    language: 'javascript',
    memoryLimitMb: 256,
    code: "const p = 'x'.repeat(150_000_000);\nfor (let i = 0; i < 12; i++) llm_query(p);\nprint('fired')",
    cellFails: false,
  },
  {
    name: 'python, 512 MiB: twelve 150 M-character prompts in one llm_query_batched',
    language: 'python',
    memoryLimitMb: 512,
    code: "p = 'x' * 150_000_000\nr = llm_query_batched([p] * 12)\nprint(r[0][:200])",
    cellFails: false,
  },
];

describe("finding 4: memory past the REPL's cap", () => {
  for (const c of CASES) {
    it(`${c.name}: the REPL stays under its cap plus 512 MiB, the run goes on`, TIMEOUT, async (t) => {
      const run = await attackRun([repl(c.code), finalTurn()], { repl: c.language, memoryLimitMb: c.memoryLimitMb, cellTimeoutMs: 8_000 });
      try {
        const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
        const [cell] = run.cells();
        t.diagnostic(
          `cell: ${JSON.stringify({ error: cell?.error?.slice(0, 200), output: cell?.output.slice(0, 200), restarted: cell?.restarted })}`,
        );
        assertContained(figures, { memoryLimitMb: c.memoryLimitMb });
        assertAnswered(result);
        assert.ok(cell, 'the cell ran');
        if (c.cellFails) assert.ok(cell.error, `the cell did not fail: ${cell.output.slice(0, 200)}`);
        // No prompt over the bound reached the model server.
        const largest = Math.max(0, ...run.subRequests().map((r) => r.messages.reduce((n, m) => n + m.content.length, 0)));
        assert.ok(largest <= MAX_PROMPT_CHARS, `a sub-call of ${largest} characters was sent`);
      } finally {
        await run.close();
      }
    });
  }
});
