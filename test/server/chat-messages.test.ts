import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCorpus } from '../../src/inputs/load-corpus.ts';
import { chatRun, LONG_TEXT_CHARS } from '../../src/server/chat-messages.ts';
import { HttpError } from '../../src/server/http-error.ts';

const refusedAt = (param: string, pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof HttpError, String(error));
  assert.equal(error.status, 400);
  assert.equal(error.param, param);
  assert.match(error.message, pattern);
  return true;
};

describe('a conversation as a run: the question and the context', () => {
  it('one short question: the question alone, an empty context', async () => {
    assert.deepEqual(await chatRun([{ role: 'user', content: 'hello?' }], undefined), { query: 'hello?', context: '' });
  });

  it('one earlier message is the context as it is', async () => {
    const run = await chatRun(
      [
        { role: 'user', content: 'a long report' },
        { role: 'user', content: 'summarise it' },
      ],
      undefined,
    );
    assert.deepEqual(run, { query: 'summarise it', context: 'a long report' });
  });

  it('a long last message (a pasted document) goes into the context, and the question says where, with its ends quoted', async () => {
    const pasted = `Here is the contract:\n${'clause. '.repeat(2000)}\nWhat is the notice period?`;
    assert.ok(pasted.length > LONG_TEXT_CHARS);
    const run = await chatRun(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'earlier' },
        { role: 'user', content: pasted },
      ],
      undefined,
    );
    assert.deepEqual(run.context, ['user (message 2):\nearlier', `user (message 3, the question):\n${pasted}`]);
    assert.match(run.query, /^Instructions:\nBe brief\./);
    assert.match(run.query, /It is the context's last item \(context\[1\]\), whole\./);
    assert.match(run.query, /It begins \(excerpt\): «Here is the contract:/);
    assert.match(run.query, /What is the notice period\?»/);
    assert.ok(run.query.length < 2000, 'the question stays short');
  });

  it('a long system message is material, not instructions', async () => {
    const long = 'rule '.repeat(LONG_TEXT_CHARS);
    const run = await chatRun(
      [
        { role: 'system', content: long },
        { role: 'user', content: 'q' },
      ],
      undefined,
    );
    assert.deepEqual(run, { query: 'q', context: long });
  });

  it('a corpus model: the corpus is the context, earlier turns go with the question, files are refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-chat-corpus-'));
    await writeFile(join(dir, 'a.md'), 'alpha');
    const corpus = { name: 'docs', corpus: await loadCorpus([dir]) };
    const run = await chatRun(
      [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'reply' },
        { role: 'user', content: 'follow-up' },
      ],
      corpus,
    );
    assert.equal(run.context, corpus.corpus);
    assert.equal(run.query, 'The conversation so far:\nuser (message 1):\nfirst\n\nassistant (message 2):\nreply\n\nQuestion: follow-up');
    const file = { type: 'file', file: { file_data: 'data:text/plain;base64,YQ==' } };
    await assert.rejects(
      chatRun([{ role: 'user', content: [{ type: 'text', text: 'q' }, file] }], corpus),
      refusedAt('messages[0].content[1]', /rlm\/docs reads its corpus/),
    );
  });

  it('refuses what it cannot take, naming it', async () => {
    await assert.rejects(chatRun('nope', undefined), refusedAt('messages', /non-empty array/));
    await assert.rejects(chatRun([{ role: 'wizard', content: 'x' }], undefined), refusedAt('messages[0].role', /must be system/));
    await assert.rejects(chatRun([{ role: 'user', content: '  ' }], undefined), refusedAt('messages[0].content', /no text/));
    await assert.rejects(
      chatRun(
        [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'q' },
              { type: 'file', file: { file_id: 'file-123' } },
            ],
          },
        ],
        undefined,
      ),
      refusedAt('messages[0].content[1]', /uploaded file \(file-123\)/),
    );
    await assert.rejects(
      chatRun(
        [
          {
            role: 'user',
            content: [
              { type: 'file', file: { file_data: 'not a data url' } },
              { type: 'text', text: 'q' },
            ],
          },
        ],
        undefined,
      ),
      refusedAt('messages[0].content[0]', /must be a data URL/),
    );
  });

  it('reads a file sent as a plain (not base64) data URL', async () => {
    const run = await chatRun(
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'q' },
            { type: 'file', file: { filename: 'a.txt', file_data: 'data:text/plain,hello%20there' } },
          ],
        },
      ],
      undefined,
    );
    assert.equal(run.context, 'hello there');
  });
});
