import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repl } from '../../src/testing/index.ts';
import { lastUser, scriptedRun } from './support.ts';

const context = 'alpha beta gamma\n'.repeat(1000);

describe('final-answer rules', () => {
  it('FINAL called in code ends the run with its value', async () => {
    const run = await scriptedRun([repl('print(context.length)'), repl("const n = context.split('\\n').length;\nFINAL(`${n} lines`)")]);
    try {
      const result = await run.rlm.run({ context, query: 'How many lines?' });
      assert.deepEqual([result.status, result.answer, result.iterations], ['done', '1001 lines', 2]);
    } finally {
      await run.close();
    }
  });

  it('FINAL_VAR of a variable, from code, and FINAL of an object as JSON', async () => {
    const run = await scriptedRun([repl("const result = { words: 3 };\nFINAL_VAR('result')")]);
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      assert.equal(result.answer, JSON.stringify({ words: 3 }, null, 2));
    } finally {
      await run.close();
    }
  });

  it('a text FINAL in a reply without code ends the run', async () => {
    const run = await scriptedRun([repl('print(context.slice(0, 5))'), 'I have seen enough.\nFINAL(alpha)']);
    try {
      const result = await run.rlm.run({ context, query: 'first word?' });
      assert.deepEqual([result.status, result.answer], ['done', 'alpha']);
    } finally {
      await run.close();
    }
  });

  it('a text FINAL_VAR resolves the variable in the REPL', async () => {
    const run = await scriptedRun([repl("const first = context.split(' ')[0]"), 'FINAL_VAR(first)']);
    try {
      assert.equal((await run.rlm.run({ context, query: 'first word?' })).answer, 'alpha');
    } finally {
      await run.close();
    }
  });

  it('a text FINAL beside a code block does not end the run: the code runs and the model sees it', async () => {
    const run = await scriptedRun([
      repl("const guess = 'wrong'; print('the real answer is beta')") + '\nFINAL(wrong)',
      repl("FINAL('beta')"),
    ]);
    try {
      const result = await run.rlm.run({ context, query: 'second word?' });
      assert.deepEqual([result.answer, result.iterations], ['beta', 2]);
      const seen = lastUser(run.rootRequests()[1]!);
      assert.match(seen, /the real answer is beta/);
      assert.match(seen, /FINAL next to a code block, so it was not taken as the answer/);
    } finally {
      await run.close();
    }
  });

  it('FINAL_VAR of an unknown name tells the model, and the run goes on', async () => {
    const run = await scriptedRun([repl('const found = 42'), 'FINAL_VAR(missing)', 'FINAL_VAR(found)']);
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      assert.deepEqual([result.status, result.answer], ['done', '42']);
      assert.match(lastUser(run.rootRequests()[2]!), /no variable named "missing"; your variables: found/);
    } finally {
      await run.close();
    }
  });

  it('a reply with neither code nor FINAL is told to write code', async () => {
    const run = await scriptedRun(['I think the answer is probably alpha.', repl("FINAL('alpha')")]);
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      assert.equal(result.answer, 'alpha');
      assert.match(lastUser(run.rootRequests()[1]!), /no `repl` code block/);
    } finally {
      await run.close();
    }
  });

  it('turn 1 tells the model to look before answering, with metadata, not the context', async () => {
    const run = await scriptedRun([repl("FINAL('x')")]);
    try {
      await run.rlm.run({ context: ['one', 'two two'], query: 'the query' });
      const first = lastUser(run.rootRequests()[0]!);
      assert.match(first, /list of 2 strings, 10 characters in total/);
      assert.match(first, /0: 3, 1: 7/);
      assert.match(first, /Query: the query/);
      assert.match(first, /Do not answer yet/);
    } finally {
      await run.close();
    }
  });

  it('the iteration limit leads to exactly one forced final request', async () => {
    const run = await scriptedRun([repl('print(1)'), repl('print(2)'), repl('print(3)'), 'From what I found:\nFINAL(three)'], {
      maxIterations: 3,
    });
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      const roots = run.rootRequests();
      assert.equal(roots.length, 4);
      assert.match(lastUser(roots[3]!), /You have used all 3 iterations/);
      assert.deepEqual([result.status, result.answer, result.iterations], ['max_iterations', 'three', 3]);
    } finally {
      await run.close();
    }
  });
});

describe('runs that end without a final answer give none', () => {
  for (const [what, last] of [
    ['a code block', '```repl\nprint(1)\n```'],
    ['a plan and a code block', 'Thinking...\n```repl\nFINAL(x)\n```'],
    ['prose', 'I would need more turns to be sure.'],
    ['an empty FINAL()', 'FINAL()'],
  ] as const) {
    it(`out of iterations, a last reply of ${what} is no answer`, async () => {
      const run = await scriptedRun([repl('print(1)'), last], { maxIterations: 1 });
      try {
        const result = await run.rlm.run({ context, query: 'q' });
        assert.equal(result.status, 'max_iterations');
        assert.equal(result.answer, undefined);
        assert.deepEqual(result.error, { code: 'RLM_MAX_ITERATIONS', message: 'no final answer after 1 turns' });
      } finally {
        await run.close();
      }
    });

    it(`stopped by a limit, a last reply of ${what} is no answer`, async () => {
      const run = await scriptedRun([repl("await llm_query('a'); await llm_query('b')"), last], { limits: { maxCalls: 3 } });
      try {
        const result = await run.rlm.run({ context, query: 'q' });
        assert.equal(result.status, 'budget');
        assert.equal(result.answer, undefined);
        assert.equal(result.error?.code, 'RLM_BUDGET_EXCEEDED');
      } finally {
        await run.close();
      }
    });
  }

  it('a limit that refuses the root its next turn still leaves it the last request it was held', async () => {
    const run = await scriptedRun([repl('print(1)'), 'FINAL(from the last request)'], { limits: { maxCalls: 2 } });
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      assert.equal(run.server.requests.length, 2);
      assert.match(lastUser(run.rootRequests()[1]!), /reached a limit \(call limit reached \(2 calls\)\)/);
      assert.deepEqual([result.status, result.answer], ['budget', 'from the last request']);
    } finally {
      await run.close();
    }
  });

  it('stopped by a limit, the last reply may name a variable of the REPL, which is kept for it', async () => {
    const run = await scriptedRun([repl("const found = 'built so far';\nawait llm_query('a'); await llm_query('b')"), 'FINAL_VAR(found)'], {
      limits: { maxCalls: 3 },
    });
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      assert.equal(result.status, 'budget');
      assert.equal(result.answer, 'built so far');
    } finally {
      await run.close();
    }
  });
});

describe('events', () => {
  it('can be read with for await while the run goes, ending with the run', async () => {
    const run = await scriptedRun([repl("const a = await llm_query('x');\nprint(a)"), repl("FINAL('iterated')")]);
    try {
      const { events, result } = run.rlm.start({ context, query: 'q' });
      const types: string[] = [];
      for await (const event of events) types.push(event.type);
      assert.equal((await result).answer, 'iterated');
      assert.equal(types[0], 'run-start');
      assert.equal(types.at(-1), 'run-end');
      assert.deepEqual(
        types.filter((t) => t === 'turn-start' || t === 'cell-end'),
        ['turn-start', 'cell-end', 'turn-start', 'cell-end'],
      );
      assert.ok(types.includes('model-call-end'));
    } finally {
      await run.close();
    }
  });
});
