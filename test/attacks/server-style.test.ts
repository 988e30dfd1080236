/**
 * Finding 11: rlm inside a server, many runs in one process. Twenty runs at once (Promise.all of
 * RLM.run on one RLM; ten in Python), one of them hostile (in turn: a deeply nested value, a flood of sub-calls,
 * a huge error, a loop of sub-calls outliving its cell). Promised: the nineteen others finish
 * with the right answers (each computes its own number from its own context), the host stays
 * responsive and bounded, and the hostile run ends with a clear status.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repl, turnIndex, type ScriptedRequest } from '../../src/testing/index.ts';
import { assertContained, attackRun, finalTurn, watched, type Language } from './support.ts';

const HOSTILE = 5;
/** Twenty runs; Python's ten, each REPL process booting CPython on a 2-core machine. */
const RUNS: Record<Language, number> = { javascript: 20, python: 10 };
/**
 * Twenty REPL processes starting at once on two cores starve every thread of the host, the
 * event loop's included, whatever the hostile run does: the bound on a stall is wider here.
 */
const STALL_MS = 4_000;
/** Each run's own time limit: ten CPython boots on a loaded 2-core machine take a while. */
const RUN_TIMEOUT_MS: Record<Language, number> = { javascript: 40_000, python: 75_000 };

const ATTACKS: Array<{ finding: string; language: Language; code: string }> = [
  {
    finding: '1 (a deeply nested value)',
    language: 'javascript',
    code: "let v = {};\nfor (let i = 0; i < 1700; i++) v = { a: v };\nawait rlm_query('q', v)",
  },
  {
    finding: '2 (400,000 sub-calls, then a time-out)',
    language: 'javascript',
    code: "for (let i = 0; i < 400_000; i++) llm_query('x' + i);\nawait new Promise(() => {});",
  },
  { finding: '3 (a 250 M-character error)', language: 'javascript', code: "throw new Error('E'.repeat(250_000_000))" },
  {
    finding: '6 (a loop of sub-calls outliving its cell)',
    language: 'javascript',
    code: "(async () => { for (;;) { await llm_query('x'); } })();\nprint('started')",
  },
  { finding: '3 (a 250 M-character error)', language: 'python', code: "raise Exception('E' * 250_000_000)" },
];

const BENIGN: Record<Language, string> = {
  javascript: 'const n = Number(context.match(/\\d+/)[0]);\nFINAL(String(n * 2))',
  python: "import re\nn = int(re.search(r'\\d+', context).group(0))\nFINAL(str(n * 2))",
};

describe('finding 11: twenty runs in one process, one hostile', () => {
  for (const attack of ATTACKS) {
    it(
      `${attack.language}: finding ${attack.finding} in one of ${RUNS[attack.language]} runs: the other ${RUNS[attack.language] - 1} answer right`,
      { timeout: 120_000 },
      async (t) => {
        const root = (request: ScriptedRequest) => {
          const hostile = request.messages.some((m) => m.role === 'user' && m.content.includes('hostile query'));
          if (!hostile) return repl(BENIGN[attack.language]);
          return turnIndex(request) === 0 ? repl(attack.code) : finalTurn('survived');
        };
        const run = await attackRun(root, {
          repl: attack.language,
          cellTimeoutMs: 3_000,
          limits: { timeoutMs: RUN_TIMEOUT_MS[attack.language] },
          sub: () => ({ content: 'a', delayMs: 20 }),
        });
        try {
          const { value: results, figures } = await watched(t, () =>
            Promise.all(
              Array.from({ length: RUNS[attack.language] }, (_, i) =>
                run.rlm.run({ context: `the number is ${1000 + i}`, query: i === HOSTILE ? 'hostile query' : 'what is twice the number?' }),
              ),
            ),
          );
          const wrong = results.flatMap((result, i) =>
            i !== HOSTILE && result.answer !== String((1000 + i) * 2)
              ? [`run ${i}: ${result.status} ${result.answer} ${result.error?.message ?? ''}`]
              : [],
          );
          const hostile = results[HOSTILE]!;
          t.diagnostic(`hostile run: ${hostile.status} ${hostile.answer ?? ''} ${hostile.error?.message ?? ''}`);
          assert.deepEqual(wrong, [], 'benign runs that did not answer right');
          assert.ok(['done', 'error', 'timeout', 'budget', 'max_iterations'].includes(hostile.status));
          if (hostile.status !== 'done') assert.ok(hostile.error, 'the hostile run ended without saying why');
          else assert.equal(hostile.answer, 'survived');
          assertContained(figures, { stallMs: STALL_MS });
        } finally {
          await run.close();
        }
      },
    );
  }
});
