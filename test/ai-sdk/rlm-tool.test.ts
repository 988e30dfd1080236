import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from '@ai-sdk/provider';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { asSchema, generateText, stepCountIs, ToolLoopAgent } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { loadCorpus, RLM, type RlmEvent } from '../../src/index.ts';
import { rlmTool } from '../../src/ai-sdk/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { tempDir } from '../inputs/temp-dir.ts';
import { rootAndSub, scriptedRlm, until } from './support.ts';

const LOG = Array.from({ length: 2000 }, (_, i) => `${i} ${i === 1234 ? 'ERROR disk full on db-7' : 'ok'}`).join('\n');

async function withServer<T>(
  script: Parameters<typeof startScriptedServer>[0]['script'],
  body: (server: ScriptedModelServer) => Promise<T>,
): Promise<T> {
  const server = await startScriptedServer({ script });
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

const USAGE = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/**
 * A mock agent model, for the cases that need to inspect what the SDK handed it: its first step calls
 * the tool with `input`; the next one answers with what the tool's result in its prompt says.
 */
function agentModel(input: Record<string, unknown>) {
  return new MockLanguageModelV4({
    doGenerate: async (options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> => {
      const results = options.prompt.flatMap((m) => (m.role === 'tool' ? m.content : []));
      if (results.length === 0) {
        return {
          content: [{ type: 'tool-call', toolCallId: 'call-1', toolName: 'rlm', input: JSON.stringify(input) }],
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage: USAGE,
          warnings: [],
        };
      }
      const result = results[0]!;
      const said = result.type === 'tool-result' ? JSON.stringify(result.output) : '';
      return {
        content: [{ type: 'text', text: `From the tool: ${said}` }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: USAGE,
        warnings: [],
      };
    },
  });
}

const findError = byTurn([repl("const line = context.split('\\n').find((l) => l.includes('ERROR'));\nFINAL('line ' + line)")]);

describe('rlmTool: an RLM as a tool of an AI SDK agent', () => {
  it('generateText with tools: the agent calls the tool with a large input, the RLM answers over it, the agent uses the answer', async () => {
    await withServer(rootAndSub(findError), async (server) => {
      const model = agentModel({ query: 'Which line has an error?', context: LOG });
      const result = await generateText({
        model,
        tools: { rlm: rlmTool({ rlm: scriptedRlm(server.url) }) },
        stopWhen: stepCountIs(3),
        prompt: 'Here are the logs ... which line failed?',
      });
      // The RLM ran over the agent's input: its root saw the context's size, not the text.
      const first = server.requests[0]!.messages.at(-1)!.content;
      assert.match(first, new RegExp(`a string of ${LOG.length.toLocaleString('en-US')} characters`));
      assert.match(first, /Query: Which line has an error\?/);
      assert.equal(result.steps.length, 2);
      const toolResult = result.steps[0]!.toolResults[0]!;
      assert.equal((toolResult.output as { answer: string }).answer, 'line 1234 ERROR disk full on db-7');
      assert.equal((toolResult.output as { status: string }).status, 'done');
      assert.equal((toolResult.output as { usage: { calls: number } }).usage.calls, 1);
      assert.match(result.text, /^From the tool: .*"answer":"line 1234 ERROR disk full on db-7"/);
      // The agent's model was told what the tool takes and when to use it.
      const offered = model.doGenerateCalls[0]!.tools![0]!;
      assert.equal(offered.type === 'function' && offered.name, 'rlm');
      assert.match(offered.type === 'function' ? (offered.description ?? '') : '', /too long to read yourself/);
      assert.deepEqual(offered.type === 'function' && offered.inputSchema.required, ['query', 'context']);
    });
  });

  it('an agent on a real provider (OpenAI-compatible, over the wire) calls the tool and answers from its result', async () => {
    await withServer(rootAndSub(findError), async (rlmServer) => {
      // The agent's own model: its first reply calls the tool, its second quotes the tool's result.
      const agentServer = await startScriptedServer({
        script: (request) => {
          const result = request.messages.find((m) => m.role === 'tool');
          if (!result) return { toolCalls: [{ name: 'rlm', arguments: { query: 'Which line has an error?', context: LOG } }] };
          return `The tool says: ${JSON.parse(result.content).answer}`;
        },
      });
      try {
        const provider = createOpenAICompatible({ name: 'agent', baseURL: agentServer.url, apiKey: 'k' });
        const result = await generateText({
          model: provider.chatModel('agent-model'),
          tools: { rlm: rlmTool({ rlm: scriptedRlm(rlmServer.url) }) },
          stopWhen: stepCountIs(3),
          prompt: 'Here are the logs ... which line failed?',
        });
        assert.equal(result.text, 'The tool says: line 1234 ERROR disk full on db-7');
        assert.equal(agentServer.requests.length, 2);
        // The tool was offered over the wire with its schema, and the RLM saw the agent's input as its context.
        const offered = (agentServer.requests[0]!.body.tools as { function: { name: string; parameters: { required: string[] } } }[])[0]!;
        assert.equal(offered.function.name, 'rlm');
        assert.deepEqual(offered.function.parameters.required, ['query', 'context']);
        assert.match(
          rlmServer.requests[0]!.messages.at(-1)!.content,
          new RegExp(`a string of ${LOG.length.toLocaleString('en-US')} characters`),
        );
      } finally {
        await agentServer.close();
      }
    });
  });

  it('ToolLoopAgent over a fixed corpus: the agent passes only its question', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'keys.md'), 'Rotate the API keys with `acme keys rotate --all`.');
    await writeFile(join(dir, 'other.md'), 'Nothing to see.');
    const corpus = await loadCorpus([dir]);
    const root = byTurn([repl("FINAL(context.find((d) => d.path === 'keys.md').text)")]);
    await withServer(rootAndSub(root), async (server) => {
      const docs = rlmTool({ rlm: scriptedRlm(server.url), context: corpus });
      assert.match(docs.description, /^Answers a question over a corpus of 2 files, .* which it holds: pass only `query`/);
      const model = agentModel({ query: 'How do I rotate the API keys?' });
      const agent = new ToolLoopAgent({ model, tools: { rlm: docs }, stopWhen: stepCountIs(3) });
      const result = await agent.generate({ prompt: 'How do I rotate the API keys?' });
      assert.match(result.text, /acme keys rotate --all/);
      assert.match(server.requests[0]!.messages.at(-1)!.content, /corpus of 2 documents/);
      const offered = model.doGenerateCalls[0]!.tools![0]!;
      assert.deepEqual(offered.type === 'function' && offered.inputSchema.required, ['query']);
    });
  });

  it('a run without an answer is a tool error the agent sees, with the reason', async () => {
    const neverAnswers = byTurn([repl('print(1)')]);
    await withServer(rootAndSub(neverAnswers), async (server) => {
      const model = agentModel({ query: 'q', context: LOG });
      const result = await generateText({
        model,
        tools: { rlm: rlmTool({ rlm: scriptedRlm(server.url, { maxIterations: 1 }) }) },
        stopWhen: stepCountIs(3),
        prompt: 'go',
      });
      const errors = result.steps[0]!.content.filter((part) => part.type === 'tool-error');
      assert.equal(errors.length, 1);
      assert.match(String((errors[0] as { error: unknown }).error), /ended without an answer \(status max_iterations\)/);
      // The agent's model got the error as the tool's result.
      const told = JSON.stringify(model.doGenerateCalls[1]!.prompt.filter((m) => m.role === 'tool'));
      assert.match(told, /ended without an answer \(status max_iterations\)/);
      assert.doesNotMatch(result.text, /"answer"/);
    });
  });

  it('the input schema: what the agent must pass, refused with the reason when it does not', async () => {
    const open = rlmTool({ rlm: scriptedRlm('http://127.0.0.1:9/v1') });
    const fixed = rlmTool({ rlm: scriptedRlm('http://127.0.0.1:9/v1'), context: 'a fixed text' });
    const schema = await asSchema(open.inputSchema).jsonSchema;
    assert.deepEqual(Object.keys((schema as { properties: object }).properties), ['query', 'context']);
    assert.match(fixed.description, /a text of 12 characters/);
    const validate = (tool: typeof open, value: unknown) => tool.inputSchema['~standard'].validate(value);
    assert.deepEqual(await validate(open, { query: 'q', context: 'c' }), { value: { query: 'q', context: 'c' } });
    assert.deepEqual(await validate(open, { query: 'q' }), {
      issues: [{ message: '`context` must be a string: the large input to answer over', path: ['context'] }],
    });
    assert.deepEqual(await validate(open, { query: ' ', context: 'c' }), {
      issues: [{ message: '`query` must be a non-empty string', path: ['query'] }],
    });
    assert.deepEqual(await validate(fixed, { query: 'q', context: 'c' }), {
      issues: [{ message: 'this tool has its own context: pass only `query`', path: ['context'] }],
    });
    assert.deepEqual(await validate(fixed, { query: 'q', extra: 1 }), { issues: [{ message: 'unknown field: extra', path: ['extra'] }] });
  });

  it("the call's abort signal stops the run", async () => {
    await withServer(
      rootAndSub(byTurn([repl("await llm_query('a');\nFINAL('never')")]), () => ({ fail: 'hang' })),
      async (server) => {
        const ends: RlmEvent[] = [];
        const rlm = new RLM({ ...scriptedRlm(server.url), onEvent: (e) => void (e.type === 'run-end' && ends.push(e)) });
        const controller = new AbortController();
        const running = rlmTool({ rlm }).execute({ query: 'q', context: 'c' }, { abortSignal: controller.signal });
        await until(() => server.requests.some((r) => r.model === 'sub'), 'the sub-call');
        controller.abort(new Error('agent stopped'));
        await assert.rejects(running, /agent stopped/);
        assert.equal(ends[0]?.type === 'run-end' && ends[0].status, 'cancelled');
        await until(() => server.inFlight === 0, 'the sub-call to be cut');
      },
    );
  });
});
