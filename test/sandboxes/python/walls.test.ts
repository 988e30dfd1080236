/**
 * The Python REPL's own walls: what leaves it is bounded in Python, before it crosses (limits.ts),
 * and model code cannot grow memory outside the cap the REPL was given (no writable files; a host
 * device that refuses an oversized request instead of buffering it). Tested on real Pyodide.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PyodideRepl } from '../../../src/sandboxes/repl-process/pyodide-repl.ts';
import { PythonSandbox } from '../../../src/sandboxes/host/python-sandbox.ts';
import { MAX_ANSWER_CHARS, MAX_ERROR_CHARS, MAX_PROMPT_CHARS, MAX_VALUE_JSON_CHARS } from '../../../src/sandboxes/limits.ts';
import { recordingBridge, runOk, sharedSandbox } from '../support.ts';

after(() => PythonSandbox.coolDown());

describe('Python REPL: text that leaves the REPL is bounded where it is made', () => {
  it("a cell's error is cut in Python, before it leaves Pyodide's worker (the engine alone, in this process)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlm-python-walls-'));
    writeFileSync(join(dir, 'context'), 'the context text');
    const repl = await PyodideRepl.create({
      contextFiles: [{ path: join(dir, 'context'), format: 'text' }],
      bridge: recordingBridge().bridge,
    });
    try {
      const result = await repl.run("raise Exception('E' * 30_000_000)");
      const error = result.error ?? '';
      assert.ok(error.length <= MAX_ERROR_CHARS, `cut (${error.length.toLocaleString('en-US')} characters)`);
      assert.match(error, /^Exception: EEEE/);
      // One note, counting what was cut of the whole error ("Exception: " + 30,000,000 + " (line 1)").
      const note = / \[\.\.\. ([\d,]+) more characters of this error cut\]$/.exec(error);
      assert.ok(note, error.slice(-200));
      assert.equal(error.length - note[0].length + Number(note[1]!.replaceAll(',', '')), 30_000_020);
    } finally {
      repl.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const shared = sharedSandbox('python', {
    context: 'the context text',
    bridge: { tools: { echo: (...args: unknown[]) => args.length } },
    cellTimeoutMs: 30_000,
  });

  it("a cell's error is cut in Python to MAX_ERROR_CHARS, and says so", async () => {
    const result = await shared.sandbox.run("raise Exception('E' * 30_000_000)");
    const error = result.error ?? '';
    assert.ok(error.length <= MAX_ERROR_CHARS, `cut (${error.length.toLocaleString('en-US')} characters)`);
    assert.equal(error.match(/more characters of this error cut/g)?.length, 1, 'one note');
    assert.match(error, /^Exception: EEEE/);
    assert.match(error, /\[\.\.\. [\d,]+ more characters of this error cut\]$/);
  });

  it('a FINAL answer longer than MAX_ANSWER_CHARS is refused in the cell, which can then answer briefly', async () => {
    const output = await runOk(
      shared.sandbox,
      `long = 'a' * ${MAX_ANSWER_CHARS + 1}\ntry:\n    FINAL(long)\nexcept ValueError as error:\n    print('refused:', error)\ntry:\n    FINAL_VAR('long')\nexcept ValueError as error:\n    print('refused:', error)`,
    );
    const lines = output.trimEnd().split('\n');
    assert.equal(lines.length, 2, output);
    for (const line of lines) assert.match(line, /^refused: FINAL(_VAR)?.*1,000,001 characters.*at most 1,000,000/);
    const brief = await shared.sandbox.run("FINAL('brief')");
    assert.equal(brief.final, 'brief');
    assert.equal((await shared.sandbox.run('del long')).error, undefined);
  });

  it('calls a cell left in flight (started on the device, never waited for) end when its result is reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlm-python-walls-'));
    writeFileSync(join(dir, 'context'), 'the context text');
    const recorded = recordingBridge();
    const repl = await PyodideRepl.create({ contextFiles: [{ path: join(dir, 'context'), format: 'text' }], bridge: recorded.bridge });
    try {
      const result = await repl.run(
        'import sys\nruntime = sys.modules["_rlm"]\nprint(len(runtime._host({"start": [{"name": "llm_query", "prompt": "HANG %d" % i} for i in range(3)]})["ids"]))',
      );
      assert.equal(result.output, '3\n');
      assert.equal(recorded.calls.length, 3);
      for (const call of recorded.calls) assert.equal(call.signal.aborted, true, 'ended with its cell');
      assert.equal(await runOk(repl, 'print(llm_query("next"))'), 'answer:next\n');
    } finally {
      repl.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a prompt over MAX_PROMPT_CHARS is refused in Python, before anything crosses', async () => {
    const from = shared.recorded.calls.length;
    const output = await runOk(
      shared.sandbox,
      `big = 'p' * ${MAX_PROMPT_CHARS + 1}
for name, call in [('llm_query', lambda: llm_query(big)), ('llm_query_batched', lambda: llm_query_batched(['fine', big])),
                   ('rlm_query', lambda: rlm_query(big)), ('rlm_query_batched', lambda: rlm_query_batched(['fine', big]))]:
    try:
        call()
        print(name, 'sent')
    except ValueError as error:
        print(name, 'refused:', error)
del big`,
    );
    for (const line of output.trimEnd().split('\n'))
      assert.match(line, /^\w+ refused: \w+: the prompt is too long: 4,000,001 characters \(at most 4,000,000\)/);
    assert.equal(shared.recorded.calls.length, from, 'no call reached the bridge');
  });

  it("an rlm_query context or a tool's arguments over MAX_VALUE_JSON_CHARS are refused in Python", async () => {
    const from = shared.recorded.calls.length;
    const output = await runOk(
      shared.sandbox,
      `big = 'c' * ${MAX_VALUE_JSON_CHARS}
for name, call in [('rlm_query', lambda: rlm_query('q', big)), ('rlm_query_batched', lambda: rlm_query_batched(['q'], [big])), ('echo', lambda: echo(big))]:
    try:
        call()
        print(name, 'sent')
    except ValueError as error:
        print(name, 'refused:', error)
del big`,
    );
    const lines = output.trimEnd().split('\n');
    assert.equal(lines.length, 3, output);
    for (const line of lines) assert.match(line, /^\w+ refused: .*too large: [\d,]+ characters of JSON \(at most 32,000,000\)/);
    assert.equal(shared.recorded.calls.length, from, 'no call reached the bridge');
    assert.equal(shared.recorded.toolCalls.length, 0, 'no tool call reached the bridge');
  });

  it('a value the host reads for FINAL_VAR (variable()) is cut to MAX_ANSWER_CHARS before it crosses', async () => {
    await runOk(shared.sandbox, `huge = 'h' * ${MAX_ANSWER_CHARS * 3}`);
    const read = await shared.sandbox.variable('huge');
    assert.ok(read.found);
    assert.ok(read.value.length <= MAX_ANSWER_CHARS, `cut to ${read.value.length}`);
    assert.match(read.value, /more characters of this answer cut\]$/);
    await runOk(shared.sandbox, 'del huge');
  });
});

describe('Python REPL: memory outside the cap', () => {
  const shared = sharedSandbox('python', { context: 'the context text', memoryLimitMb: 256, cellTimeoutMs: 30_000 });

  it('model code has no writable files, and is told to keep data in variables', async () => {
    for (const code of [
      "open('/tmp/notes.txt', 'w').write('x')",
      "open('notes.txt', 'w')",
      "import os\nos.mkdir('/tmp/dir')",
      "import pathlib\npathlib.Path('/tmp/out.json').write_text('{}')",
      "import os\nfd = os.open('/tmp/raw', os.O_WRONLY | os.O_CREAT)",
      'import tempfile\ntempfile.TemporaryFile()',
    ]) {
      const result = await shared.sandbox.run(code);
      assert.match(result.error ?? '', /^(OSError|FileNotFoundError): .*this REPL has no writable files; keep data in variables/, code);
    }
    // Files that exist are not writable either: the standard library stays as it is.
    const zip = "[p for p in __import__('sys').path if p.endswith('.zip')][0]";
    const existing = await shared.sandbox.run(`import os\nfd = os.open(${zip}, os.O_WRONLY)\nos.write(fd, b'x')`);
    assert.match(existing.error ?? '', /^OSError: .*no writable files/);
    const truncate = await shared.sandbox.run(`import os\nos.truncate(${zip}, 0)`);
    assert.match(truncate.error ?? '', /^OSError: .*no writable files/);
    const remove = await shared.sandbox.run(`import os\nos.remove(${zip})`);
    assert.match(remove.error ?? '', /^OSError: .*no writable files/);
    // Reading still works (the standard library imports), and so does writing to /dev/null.
    assert.equal(
      await runOk(
        shared.sandbox,
        `import os, textwrap\nprint(os.path.getsize(${zip}) > 1000)\nprint(open('/dev/null', 'w').write('gone'))`,
      ),
      'True\n4\n',
    );
  });

  it('writing files cannot grow the REPL past its memory cap (/tmp is not an unbounded store)', async () => {
    const result = await shared.sandbox.run(
      "chunk = b'x' * (64 << 20)\nfor i in range(40):\n    with open(f'/tmp/f{i}', 'wb') as file:\n        file.write(chunk)",
    );
    assert.match(result.error ?? '', /^OSError: .*no writable files/);
    await runOk(shared.sandbox, 'del chunk');
  });

  it('the host-call device refuses a request larger than the bounds instead of buffering it', async () => {
    // Written in pieces: nothing is kept between writes, so a piece is refused at once.
    const pieces = await shared.sandbox.run(
      "import os\nfd = os.open('/dev/rlm', os.O_RDWR)\nchunk = b'x' * (32 << 20)\ntry:\n    for i in range(100):\n        os.write(fd, chunk)\nfinally:\n    os.close(fd)\n    del chunk",
    );
    assert.match(pieces.error ?? '', /^OSError: \[Errno 28\] Invalid argument/);
    // Whole, but larger than the largest call the bounds allow.
    const whole = await shared.sandbox.run(
      "import os\nfd = os.open('/dev/rlm', os.O_RDWR)\nrequest = bytearray(170 << 20)\nrequest[-1] = 10\ntry:\n    os.write(fd, request)\nfinally:\n    os.close(fd)\n    del request",
    );
    assert.match(whole.error ?? '', /^OSError: \[Errno 22\] File too large/);
    // The REPL is whole: its own calls still work.
    assert.equal(await runOk(shared.sandbox, "print(llm_query('still here'))"), 'answer:still here\n');
  });

  it('a malformed request to the host-call device is an error, not the end of the interpreter', async () => {
    const result = await shared.sandbox.run(
      "import os\nfd = os.open('/dev/rlm', os.O_RDWR)\nos.write(fd, b'not json\\n')\nprint(os.read(fd, 1000))\nos.close(fd)",
    );
    assert.equal(result.error, undefined);
    assert.equal(result.restarted, false);
    assert.match(result.output, /error/);
  });
});
