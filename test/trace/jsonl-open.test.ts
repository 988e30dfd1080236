import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { JsonlTrace, type ContextValue } from '../../src/index.ts';

it(
  'a trace whose header cannot be written throws and leaves no file handle open',
  { skip: process.platform !== 'linux' && 'reads /proc' },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-trace-open-'));
    // Nested too deep for JSON.stringify: the header, which holds the context, cannot be made.
    let deep: ContextValue = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 5; i++) assert.throws(() => new JsonlTrace(join(dir, `t${i}.jsonl`), { context: deep }), RangeError);
    assert.equal(open(), before);
  },
);
