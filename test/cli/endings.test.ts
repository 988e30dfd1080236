import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repl, startScriptedServer, type ScriptedModelServer, type ScriptedRequest } from '../../src/testing/index.ts';
import { noStack, runCli } from './support.ts';

// A root model that never answers: each reply is some thought and a code block, also when it is
// asked for its final answer. A limit must end such a run with no answer at all, not its last reply.
const NEVER = (r: ScriptedRequest) => ({
  content: repl(`print(${r.index})`, 'Thinking...'),
  usage: { promptTokens: 1000, completionTokens: 50 },
  delayMs: 20,
});

let dir: string;
let book: string;
let server: ScriptedModelServer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rlm-endings-'));
  book = join(dir, 'book.txt');
  await writeFile(book, 'The treasure is buried under the old oak.\n'.repeat(200));
  await writeFile(join(dir, 'prices.json'), JSON.stringify({ r: { input: 5, output: 5 } }));
  server = await startScriptedServer({ models: ['r'], script: NEVER });
});
after(() => server.close());

const ask = (...flags: string[]) => runCli(['ask', '-q', '-c', book, '--base-url', server.url, '--model', 'r', ...flags, 'Where?']);

/** No answer: exit 1, nothing on stdout, one line on stderr that says why and how far it got. */
function assertNoAnswer(run: { code: number | null; stdout: string; stderr: string }, why: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, '');
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${run.stderr}`);
  assert.match(lines[0]!, /^rlm: no answer: /);
  assert.match(lines[0]!, why);
  assert.match(lines[0]!, /: spent .* in \d+ calls? over \d+ turns?$/);
  assert.ok(noStack(run.stderr));
}

describe('rlm ask: a run that ends without an answer prints none', () => {
  it('--max-calls', async () => {
    assertNoAnswer(await ask('--max-calls', '2'), /call limit reached \(2 calls\)/);
  });
  it('--max-tokens', async () => {
    assertNoAnswer(await ask('--max-tokens', '2500'), /token limit reached \(2500 tokens\)/);
  });
  it('--max-cost with --prices: says what was spent in dollars', async () => {
    // Each call costs about $0.005: several are made before the limit refuses the next.
    const run = await ask('--max-cost', '0.1', '--prices', join(dir, 'prices.json'));
    assertNoAnswer(run, /cost limit reached \(\$0\.1\): spent \$0\.\d{4} \([\d.]+k tokens\) in [1-9]\d* calls? /);
  });
  it('--timeout', async () => {
    assertNoAnswer(await ask('--timeout', '300'), /time limit reached/);
  });
  it('--max-iterations', async () => {
    assertNoAnswer(await ask('--max-iterations', '2'), /iteration|turn/);
  });
  it('--json carries the status and a null answer', async () => {
    const run = await ask('--json', '--max-calls', '2');
    assert.equal(run.code, 1, run.stderr);
    const out = JSON.parse(run.stdout) as { answer: unknown; status: string };
    assert.equal(out.answer, null);
    assert.equal(out.status, 'budget');
    assert.equal(run.stderr.trim().split('\n').length, 1);
  });
});

describe('rlm ask: answered in the last request after a limit', () => {
  it('prints the answer, exit 0, and says on stderr that the run was stopped (not with --quiet)', async () => {
    // The fourth call, a sub-call, is refused: that stops the run, and the root is asked once more.
    const late = await startScriptedServer({
      models: ['r', 's'],
      script: (r) => {
        if (r.model === 's') return 'a sub answer';
        if (/reached a limit/.test(r.messages.at(-1)!.content)) return 'From what I found:\nFINAL(under the old oak)';
        return repl("print(await llm_query_batched(['1', '2', '3', '4', '5']))", 'Thinking...');
      },
    });
    try {
      const args = [
        'ask',
        '-c',
        book,
        '--base-url',
        late.url,
        '--model',
        'r',
        '--sub-model',
        's',
        '--concurrency',
        '1',
        '--max-calls',
        '4',
        'Where?',
      ];
      const run = await runCli(args);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'under the old oak\n');
      const notes = run.stderr.split('\n').filter((line) => /answered after/.test(line));
      assert.equal(notes.length, 1, run.stderr);
      assert.match(notes[0]!, /^rlm: answered after the run was stopped: call limit reached \(4 calls\): spent/);
      const quiet = await runCli(['ask', '-q', ...args.slice(1)]);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.equal(quiet.stdout, 'under the old oak\n');
      assert.equal(quiet.stderr, '');
    } finally {
      await late.close();
    }
  });
});
