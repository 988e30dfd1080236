/**
 * Values made by model code cross to the run's process as bounded JSON text: one line of model
 * code nesting a value deeply, or making it huge, fails that call in the cell, and never reaches
 * (or crashes) the run's process.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PythonSandbox } from '../../../src/sandboxes/host/python-sandbox.ts';
import { createSandbox, LANGUAGES } from '../support.ts';

after(() => PythonSandbox.coolDown());

for (const language of LANGUAGES) {
  const pick = <T>(choices: { js: T; py: T }): T => (language === 'javascript' ? choices.js : choices.py);

  describe(`${language}: values from model code`, () => {
    it("a child's context nested thousands deep fails the call in the cell, and the run's process lives on", async () => {
      const { sandbox, recorded } = await createSandbox(language, { cellTimeoutMs: 20_000 });
      try {
        const result = await sandbox.run(
          pick({
            js: 'let v = {}; for (let i = 0; i < 1700; i++) v = { a: v };\ntry { await rlm_query("q", v) } catch (e) { print("refused:", e.message) }',
            py: 'v = {}\nfor i in range(800):\n    v = [{"a": v}]\ntry:\n    rlm_query("q", v)\nexcept Exception as e:\n    print("refused:", e)',
          }),
        );
        assert.match(result.output, /refused:.*(nested|deep|depth|recursion)/i, `${result.output} ${result.error ?? ''}`);
        assert.equal(recorded.calls.length, 0, 'nothing reached the bridge');
        // The same REPL serves the next cell: nothing crashed.
        assert.equal(result.restarted, false);
        assert.equal((await sandbox.run(pick({ js: 'print(1 + 1)', py: 'print(1 + 1)' }))).output, '2\n');
      } finally {
        sandbox.dispose();
      }
    });

    it("a tool's arguments nested thousands deep fail the call, and the run's process lives on", async () => {
      const { sandbox, recorded } = await createSandbox(language, {
        cellTimeoutMs: 20_000,
        bridge: { tools: { echo: (x: unknown) => x } },
      });
      try {
        const result = await sandbox.run(
          pick({
            js: 'let v = {}; for (let i = 0; i < 1700; i++) v = { a: v };\ntry { await echo(v) } catch (e) { print("refused:", e.message) }',
            py: 'v = {}\nfor i in range(800):\n    v = [{"a": v}]\ntry:\n    echo(v)\nexcept Exception as e:\n    print("refused:", e)',
          }),
        );
        assert.match(result.output, /refused:.*(nested|deep|depth|recursion)/i, `${result.output} ${result.error ?? ''}`);
        assert.equal(recorded.toolCalls.length, 0);
        assert.equal((await sandbox.run('print(3)')).output, '3\n');
      } finally {
        sandbox.dispose();
      }
    });

    it('a prompt over MAX_PROMPT_CHARS and a context over MAX_VALUE_JSON_CHARS are refused in the cell', async () => {
      const { sandbox, recorded } = await createSandbox(language, { cellTimeoutMs: 30_000 });
      try {
        const result = await sandbox.run(
          pick({
            js: 'try { await llm_query("x".repeat(4_000_001)) } catch (e) { print("prompt:", e.message.slice(0, 80)) }\ntry { await rlm_query("q", "y".repeat(32_000_001)) } catch (e) { print("context:", e.message.slice(0, 80)) }',
            py: 'try:\n    llm_query("x" * 4_000_001)\nexcept Exception as e:\n    print("prompt:", str(e)[:80])\ntry:\n    rlm_query("q", ["y" * 32_000_001])\nexcept Exception as e:\n    print("context:", str(e)[:80])',
          }),
        );
        assert.match(result.output, /prompt:.*(too long|at most|more than)/i, `${result.output} ${result.error ?? ''}`);
        assert.match(result.output, /context:.*(too large|too long|at most|more than)/i, `${result.output} ${result.error ?? ''}`);
        assert.equal(recorded.calls.length, 0);
      } finally {
        sandbox.dispose();
      }
    });
  });
}
