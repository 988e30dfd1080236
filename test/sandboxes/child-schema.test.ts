/**
 * `rlm_query(prompt, context, { schema })` in every REPL: the schema crosses to the host as JSON
 * data, bounded in the REPL and again on the host, and the child's answer (JSON text) comes back
 * to model code as the value itself. Without a schema nothing changes: the answer is text.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { JsSandbox } from '../../src/sandboxes/host/js-sandbox.ts';
import { PythonSandbox } from '../../src/sandboxes/host/python-sandbox.ts';
import { MAX_SCHEMA_JSON_CHARS } from '../../src/sandboxes/limits.ts';
import type { Bridge, ChildOptions, JsonValue, Sandbox } from '../../src/sandboxes/sandbox.ts';
import { HostCalls } from '../../src/sandboxes/shared/host-calls.ts';
import { readFromRepl, ProtocolViolation } from '../../src/sandboxes/shared/repl-messages.ts';
import { LANGUAGES, runOk } from './support.ts';

after(() => PythonSandbox.coolDown());

interface ChildCall {
  prompt: string;
  context: JsonValue | undefined;
  options: ChildOptions;
}

/** A bridge whose child answers, given a schema, with JSON of what it was asked (or an error for a FAIL prompt). */
function childBridge(): { bridge: Bridge; calls: ChildCall[] } {
  const calls: ChildCall[] = [];
  const bridge: Bridge = {
    llm_query: async (prompt) => `answer:${prompt}`,
    rlm_query: async (prompt, context, options) => {
      calls.push({ prompt, context, options });
      if (prompt.includes('FAIL')) throw new Error(`the reply did not match the schema: at .total: expected number`);
      return options.schema === undefined ? `sub:${prompt}` : JSON.stringify({ total: prompt.length, model: options.model ?? null });
    },
    budget: () => ({}),
  };
  return { bridge, calls };
}

const SCHEMA = { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] };

for (const language of LANGUAGES) {
  const pick = <T>(js: T, py: T): T => (language === 'javascript' ? js : py);

  describe(`${language} REPL: rlm_query with a schema`, () => {
    let sandbox: Sandbox;
    let calls: ChildCall[];
    const made = (async () => {
      const child = childBridge();
      calls = child.calls;
      const options = { context: 'c', bridge: child.bridge, cellTimeoutMs: 5000 };
      sandbox = language === 'javascript' ? await JsSandbox.create(options) : await PythonSandbox.create(options);
    })();
    after(async () => {
      await made;
      sandbox.dispose();
    });

    it('sends the schema as JSON data and gives model code the value itself', async () => {
      await made;
      const schema = JSON.stringify(SCHEMA);
      const output = await runOk(
        sandbox,
        pick(
          `const schema = ${schema};\nconst r = await rlm_query("four", "ctx", { schema, model: "m" });\nprint(typeof r, r.total, r.model)`,
          `schema = ${schema}\nr = rlm_query("four", "ctx", model="m", schema=schema)\nprint(type(r).__name__, r["total"], r["model"])`,
        ),
      );
      assert.equal(output, pick('object 4 m\n', 'dict 4 m\n'));
      assert.deepEqual(calls.at(-1), { prompt: 'four', context: 'ctx', options: { model: 'm', schema: SCHEMA } });
    });

    it('takes the schema without a context, and in Python from an options dict too', async () => {
      await made;
      const from = calls.length;
      const output = await runOk(
        sandbox,
        pick(
          'const a = await rlm_query("ab", undefined, { schema: { type: "object" } });\nprint(a.total)',
          'a = rlm_query("ab", schema={"type": "object"})\nb = rlm_query("abc", None, {"model": "m2", "schema": {"type": "object"}})\nprint(a["total"], b["total"], b["model"])',
        ),
      );
      assert.equal(output, pick('2\n', '2 3 m2\n'));
      assert.deepEqual(calls[from]!.options, { schema: { type: 'object' } });
      assert.equal(calls[from]!.context, undefined);
    });

    it('without a schema the answer stays text; a second argument of { schema } alone is a context', async () => {
      await made;
      const output = await runOk(
        sandbox,
        pick(
          'print(await rlm_query("plain", "ctx"), await rlm_query("ctx only", { schema: { type: "object" } }))',
          'print(rlm_query("plain", "ctx"), rlm_query("ctx only", {"schema": {"type": "object"}}))',
        ),
      );
      assert.equal(output, 'sub:plain sub:ctx only\n');
      assert.deepEqual(calls.at(-1), { prompt: 'ctx only', context: { schema: { type: 'object' } }, options: {} });
    });

    it('rlm_query_batched parses each answer and keeps an error string in a failed slot', async () => {
      await made;
      const output = await runOk(
        sandbox,
        pick(
          'const rs = await rlm_query_batched(["one", "FAIL", "three"], ["a", "b", "c"], { schema: { type: "object" } });\nprint(JSON.stringify(rs))',
          'import json\nrs = rlm_query_batched(["one", "FAIL", "three"], ["a", "b", "c"], schema={"type": "object"})\nprint(json.dumps(rs, separators=(",", ":")))',
        ),
      );
      assert.equal(
        output,
        '[{"total":3,"model":null},"Error: the reply did not match the schema: at .total: expected number",{"total":5,"model":null}]\n',
      );
    });

    it('refuses a schema that is not JSON data, or is too large, in the cell', async () => {
      await made;
      const from = calls.length;
      const notData = await sandbox.run(pick('await rlm_query("q", "c", { schema: "object" })', 'rlm_query("q", "c", schema="object")'));
      assert.match(notData.error ?? '', /schema must be a JSON Schema written as plain data/);
      const big = MAX_SCHEMA_JSON_CHARS + 10;
      const tooLarge = await sandbox.run(
        pick(
          `await rlm_query("q", "c", { schema: { description: "x".repeat(${big}) } })`,
          `rlm_query("q", "c", schema={"description": "x" * ${big}})`,
        ),
      );
      assert.match(tooLarge.error ?? '', /schema is .*too large|more than the 65,536 allowed/);
      assert.equal(calls.length, from, 'nothing reached the host');
    });

    if (language === 'javascript') {
      it('llm_query takes no schema: its answer is text', async () => {
        await made;
        const result = await sandbox.run('await llm_query("q", { schema: { type: "object" } })');
        assert.match(result.error ?? '', /llm_query: options\.schema is for rlm_query/);
      });
    }
  });
}

describe('the host checks a schema again', () => {
  it('HostCalls refuses a schema past its bound before the bridge sees it, and drops a null one', async () => {
    const { bridge, calls } = childBridge();
    const host = new HostCalls(bridge, []);
    host.startCell();
    const serve = (schema: unknown) =>
      new Promise<{ ok: boolean; payload: string }>((resolve) =>
        host.serve(1, { name: 'rlm_query', prompt: 'p', context: undefined, options: { schema } as ChildOptions }, (ok, payload) =>
          resolve({ ok, payload }),
        ),
      );
    const refused = await serve({ description: 'x'.repeat(MAX_SCHEMA_JSON_CHARS) });
    assert.equal(refused.ok, false);
    assert.match(refused.payload, /^rlm_query: the schema is too large/);
    assert.equal(calls.length, 0);
    assert.deepEqual(await serve(null), { ok: true, payload: 'sub:p' });
    assert.deepEqual(calls[0]!.options, {});
  });

  it('a REPL process that sends a schema too large, too deep, or with an llm_query is refused', () => {
    const call = (fields: Record<string, unknown>) =>
      readFromRepl({
        header: { type: 'call', callId: 1, name: 'rlm_query', prompt: 'p', options: {}, ...fields },
        payload: Buffer.alloc(0),
      });
    assert.deepEqual(call({ schema: '{"type":"object"}' }), {
      type: 'call',
      callId: 1,
      name: 'rlm_query',
      prompt: 'p',
      options: {},
      context: null,
      schema: '{"type":"object"}',
    });
    assert.throws(() => call({ schema: `"${'x'.repeat(MAX_SCHEMA_JSON_CHARS)}"` }), ProtocolViolation);
    assert.throws(() => call({ schema: '['.repeat(2000) + ']'.repeat(2000) }), ProtocolViolation);
    assert.throws(() => call({ schema: 5 }), ProtocolViolation);
    assert.throws(() => call({ name: 'llm_query', schema: '{}' }), ProtocolViolation);
  });
});
