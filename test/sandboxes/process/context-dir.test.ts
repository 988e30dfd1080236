/**
 * A context folder whose owner was killed (SIGKILL: no exit handler runs) is swept by the next
 * REPL start on the machine; folders of live owners are left alone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { JsSandbox } from '../../../src/sandboxes/host/js-sandbox.ts';
import { recordingBridge } from '../support.ts';

describe('context folders', { skip: process.platform === 'win32' && 'POSIX signals' }, () => {
  it("are swept at the next REPL start once their owner is killed, and a live owner's are kept", async () => {
    const owner = spawn(process.execPath, [new URL('./context-owner-child.ts', import.meta.url).pathname], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = await createInterface({ input: owner.stdout! })
      [Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value as string]);
    const { dir } = JSON.parse(line!) as { dir: string };
    assert.ok(existsSync(dir), 'the owner made its folder');
    assert.equal(readFileSync(`${dir}/context`, 'utf8'), 'a secret context');

    // While the owner lives, a new REPL leaves its folder alone.
    const first = await JsSandbox.create({ context: 'mine', bridge: recordingBridge().bridge });
    first.dispose();
    assert.ok(existsSync(dir), "a live owner's folder is kept");

    owner.kill('SIGKILL');
    await new Promise((resolve) => owner.once('exit', resolve));
    // (A REPL started meanwhile by another program on this machine may sweep it first: that is fine too.)
    const second = await JsSandbox.create({ context: 'mine', bridge: recordingBridge().bridge });
    second.dispose();
    assert.ok(!existsSync(dir), 'the next REPL start swept it');
  });
});
