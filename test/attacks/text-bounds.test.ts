/**
 * Finding 3: huge text leaving the REPL. A 250-million-character error every turn, five in one
 * reply, a 300-million-character FINAL, a child RLM whose FINAL would become its parent's
 * rlm_query result. Promised: an error is cut before it leaves the REPL (every request the model
 * server then receives stays under 1 MB), an answer over the bound is refused with an error the
 * model sees, the host stays responsive and small, and the run goes on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';
import {
  assertAnswered,
  assertCliResponsive,
  contextFile,
  assertContained,
  attackRun,
  BOUNDS,
  finalTurn,
  LANGUAGES,
  runAsk,
  watched,
  type Language,
} from './support.ts';

const HUGE_ERROR: Record<Language, string> = {
  javascript: "throw new Error('E'.repeat(250_000_000))",
  python: "raise Exception('E' * 250_000_000)",
};
/** Five in one reply: 50 M characters each, as far past the bound, and the suite stays quick. */
const BIG_ERROR: Record<Language, string> = {
  javascript: "throw new Error('E'.repeat(50_000_000))",
  python: "raise Exception('E' * 50_000_000)",
};
const HUGE_FINAL: Record<Language, string> = {
  javascript: "FINAL('x'.repeat(300_000_000))",
  python: "FINAL('x' * 300_000_000)",
};
const TIMEOUT = { timeout: 90_000 };

describe('finding 3: huge errors and answers', () => {
  for (const language of LANGUAGES) {
    it(`${language}: a 250 M-character error three turns running is cut; every request stays under 1 MB`, TIMEOUT, async (t) => {
      const run = await attackRun([repl(HUGE_ERROR[language]), repl(HUGE_ERROR[language]), repl(HUGE_ERROR[language]), finalTurn()], {
        repl: language,
      });
      try {
        const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
        assertAnswered(result);
        assert.ok(run.largestRequestChars() < BOUNDS.requestChars, `a request of ${run.largestRequestChars()} characters`);
        const cells = run.cells();
        assert.equal(cells.length, 4);
        for (const cell of cells.slice(0, 3)) {
          assert.ok(cell.error, 'the cell failed');
          assert.ok(cell.error.length < 100_000, `an error of ${cell.error.length} characters reached the host`);
          // The model sees the start of the error, cut, and the REPL was not lost to it.
          assert.match(cell.error, /EEEE/, `the model did not see the error: ${cell.error.slice(0, 300)}`);
          assert.ok(!cell.restarted, `the REPL was restarted: ${cell.error.slice(0, 300)}`);
        }
        assertContained(figures);
      } finally {
        await run.close();
      }
    });

    it(`${language}: five 50 M-character errors in one reply (five code blocks) are each cut`, TIMEOUT, async (t) => {
      const five = Array.from({ length: 5 }, () => repl(BIG_ERROR[language])).join('\n');
      const run = await attackRun([five, finalTurn()], { repl: language });
      try {
        const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
        assertAnswered(result);
        assert.ok(run.largestRequestChars() < BOUNDS.requestChars, `a request of ${run.largestRequestChars()} characters`);
        for (const cell of run.cells().slice(0, 5)) assert.ok((cell.error?.length ?? 0) < 100_000);
        assertContained(figures);
      } finally {
        await run.close();
      }
    });

    it(
      `${language}: a 300 M-character FINAL is refused with an error the model sees; its next, short FINAL is the answer`,
      TIMEOUT,
      async (t) => {
        const run = await attackRun([repl(HUGE_FINAL[language]), finalTurn()], { repl: language });
        try {
          const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
          assertAnswered(result);
          const [cell] = run.cells();
          assert.ok(cell?.error, 'the huge FINAL was refused in its cell');
          assert.ok(cell.error.length < 100_000);
          assert.ok(run.rootRequests().length >= 2, 'the model was asked again');
          assert.ok(run.largestRequestChars() < BOUNDS.requestChars, `a request of ${run.largestRequestChars()} characters`);
          assertContained(figures);
        } finally {
          await run.close();
        }
      },
    );

    it(`${language}: a child RLM (maxDepth 2) whose FINAL is huge never hands it to its parent`, TIMEOUT, async (t) => {
      const parent =
        language === 'javascript'
          ? "const r = await rlm_query('summarise', 'ctx')\nprint(r.length)"
          : "r = rlm_query('summarise', 'ctx')\nprint(len(r))";
      const run = await attackRun([repl(parent), finalTurn()], {
        repl: language,
        maxDepth: 2,
        maxIterations: 2,
        // The child tries its huge FINAL every turn.
        sub: () => repl(HUGE_FINAL[language]),
      });
      try {
        const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
        assertAnswered(result);
        const root = run.cells().find((c) => c.depth === 0);
        assert.ok(root, 'the parent cell ran');
        assert.ok(!/\b300000000\b/.test(root.output), 'the parent received the 300 M-character answer');
        assert.ok(run.largestRequestChars() < BOUNDS.requestChars, `a request of ${run.largestRequestChars()} characters`);
        assertContained(figures);
      } finally {
        await run.close();
      }
    });
  }

  it(
    'rlm ask: huge errors then a huge FINAL; the command answers with the short one, and its requests stay under 1 MB',
    TIMEOUT,
    async (t) => {
      const context = contextFile();
      const server = await startScriptedServer({
        models: ['root'],
        script: byTurn([repl(HUGE_ERROR.javascript), repl(HUGE_ERROR.javascript), repl(HUGE_FINAL.javascript), finalTurn()]),
      });
      try {
        const { value: cli } = await watched(
          t,
          (watch) =>
            runAsk(['ask', '-q', '-c', context, '--model', 'root', '--base-url', server.url, 'q'], { onStart: (p) => watch.setRoot(p) }),
          0,
        ).then(({ value, figures }) => {
          assert.ok(figures.hostDeltaMb < BOUNDS.hostRssDeltaMb, `rlm ask grew by ${figures.hostDeltaMb} MiB`);
          assert.ok(figures.replPeakMb < 1024 + BOUNDS.replMarginMb);
          return { value };
        });
        assert.equal(cli.signal, null);
        assert.equal(cli.code, 0, cli.stderr.toString().slice(0, 2000));
        assert.equal(cli.stdout.toString(), 'ok\n');
        assertCliResponsive(t, cli);
        const largest = Math.max(...server.requests.map((r) => r.messages.reduce((n, m) => n + m.content.length, 0)));
        assert.ok(largest < BOUNDS.requestChars, `a request of ${largest} characters`);
      } finally {
        await server.close();
      }
    },
  );
});
