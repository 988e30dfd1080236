/**
 * The boot snapshot on disk: written by a program whose REPL booted from scratch, booted from by
 * the next program, and never trusted blindly: a damaged file, one made for another key, one
 * Pyodide refuses, or one others could have written is passed over and replaced; a cache that
 * cannot be written never fails a run. Every REPL, however it booted, is sealed (`import js` is
 * refused). Each program is a fresh process (snapshot-child.ts) with a cache folder of its own.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeSnapshot, readSnapshotFile, writeSnapshotFile } from '../../../src/sandboxes/shared/snapshot-file.ts';
import { snapshotPlace } from '../../../src/sandboxes/host/python-snapshot.ts';

const CHILD = fileURLToPath(new URL('./snapshot-child.ts', import.meta.url));
const KEY = snapshotPlace().key;

interface ChildReport {
  scratchBoots: number;
  written: boolean | null;
  output: string;
  error: string | null;
  path: string;
}

const folders: string[] = [];
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'rlm-snapshot-test-'));
  folders.push(folder);
  return folder;
}
after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/** Runs a program's first Python sandbox with `cache` as XDG_CACHE_HOME. */
async function runProgram(cache: string): Promise<ChildReport> {
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD], {
    env: { ...process.env, XDG_CACHE_HOME: cache },
    timeout: 120_000,
  });
  const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildReport;
  // Sealed, whatever it booted from.
  assert.equal(report.error, null);
  assert.equal(report.output, 'ImportError\nFalse\nthe context\n');
  return report;
}

function placeIn(cache: string): string {
  return join(cache, 'rlm', 'python', snapshotPlace({ XDG_CACHE_HOME: cache }).path.split(/[/\\]/).at(-1)!);
}

/** A cache holding `bytes` as the snapshot file. */
function cacheWith(bytes: Uint8Array): { cache: string; file: string } {
  const cache = tempFolder();
  const file = placeIn(cache);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, bytes, { mode: 0o600 });
  return { cache, file };
}

function assertGoodFile(file: string): void {
  assert.ok(readSnapshotFile(file, KEY), `${file} holds a whole snapshot for this key`);
  assert.equal(statSync(file).mode & 0o077, 0, 'only its owner may read or write it');
  assert.deepEqual(
    readdirSync(dirname(file)).filter((name) => name.startsWith('.')),
    [],
    'no temporary file is left',
  );
}

describe('the Python boot snapshot on disk', () => {
  /** A good snapshot file, written by the first program of the first test. */
  let good: Uint8Array;

  before(() => {
    assert.match(KEY, /pyodide \d/);
  });

  it('is written by a program that booted from scratch, and the next program boots from it', async () => {
    const cache = tempFolder();
    const first = await runProgram(cache);
    assert.equal(first.scratchBoots, 1);
    assert.equal(first.written, true);
    assert.equal(first.path, placeIn(cache));
    assertGoodFile(first.path);
    good = readFileSync(first.path);
    const before = statSync(first.path);

    const second = await runProgram(cache);
    assert.equal(second.scratchBoots, 0, 'the second program booted no REPL from scratch');
    assert.equal(second.written, null, 'and wrote nothing');
    const now = statSync(first.path);
    assert.equal(now.ino, before.ino);
    assert.equal(now.mtimeMs, before.mtimeMs);
  });

  const damaged: Array<[string, (bytes: Uint8Array) => Uint8Array]> = [
    ['cut short', (bytes) => bytes.subarray(0, bytes.length >> 1)],
    [
      'with a byte of the interpreter changed',
      (bytes) => {
        const copy = new Uint8Array(bytes);
        copy[copy.length - 1000]! ^= 0xff;
        return copy;
      },
    ],
    ['empty', () => new Uint8Array(0)],
    ['not a snapshot at all', () => new TextEncoder().encode('hello\n'.repeat(1000))],
  ];
  for (const [name, damage] of damaged) {
    it(`is booted past and replaced when it is ${name}`, async () => {
      const { cache, file } = cacheWith(damage(good));
      const report = await runProgram(cache);
      assert.equal(report.scratchBoots, 1);
      assert.equal(report.written, true);
      assertGoodFile(file);
    });
  }

  it('is not used when it was made for another key (another Pyodide, other boot code)', async () => {
    const other = tempFolder();
    const payload = decodeSnapshot(good, KEY)!;
    const otherFile = join(other, 'other.snapshot');
    assert.equal(await writeSnapshotFile(otherFile, KEY.replace(/pyodide \S+;/, 'pyodide 0.0.1;'), payload), true);
    assert.equal(readSnapshotFile(otherFile, KEY), undefined);
    const { cache, file } = cacheWith(readFileSync(otherFile));
    const report = await runProgram(cache);
    assert.equal(report.scratchBoots, 1);
    assert.equal(report.written, true);
    assertGoodFile(file);
  });

  it('is replaced when Pyodide refuses it, though the file itself is whole', async () => {
    const source = tempFolder();
    const bogus = new Uint8Array(1 << 20).fill(7);
    assert.equal(await writeSnapshotFile(join(source, 'bogus'), KEY, bogus), true);
    const { cache, file } = cacheWith(readFileSync(join(source, 'bogus')));
    const report = await runProgram(cache);
    assert.equal(report.scratchBoots, 1);
    assert.equal(report.written, true);
    assertGoodFile(file);
  });

  it(
    'is not used when others could have written it, and is replaced by one only its owner can',
    { skip: process.platform === 'win32' },
    async () => {
      const { cache, file } = cacheWith(good);
      chmodSync(file, 0o666);
      const report = await runProgram(cache);
      assert.equal(report.scratchBoots, 1);
      assertGoodFile(file);
    },
  );

  it('never fails a run when the cache cannot be written', async () => {
    const cache = join(tempFolder(), 'a-file');
    writeFileSync(cache, 'not a folder');
    const report = await runProgram(cache);
    assert.equal(report.scratchBoots, 1);
    assert.equal(report.written, false);
  });
});

describe('the snapshot file', () => {
  it('round-trips, and is refused when cut, changed, or made for another key', async () => {
    const folder = tempFolder();
    const file = join(folder, 'nested', 'x.snapshot');
    const payload = new Uint8Array(4096).map((_, i) => i % 251);
    assert.equal(await writeSnapshotFile(file, 'key one', payload), true);
    const read = readSnapshotFile(file, 'key one');
    assert.deepEqual(read, payload);
    assert.equal(read!.byteOffset % 4, 0, 'Pyodide reads it as 32-bit words');
    assert.equal(readSnapshotFile(file, 'key two'), undefined);
    const bytes = readFileSync(file);
    assert.equal(decodeSnapshot(bytes.subarray(0, bytes.length - 1), 'key one'), undefined);
    const changed = new Uint8Array(bytes);
    changed[changed.length - 1]! ^= 1;
    assert.equal(decodeSnapshot(changed, 'key one'), undefined);
    assert.equal(readSnapshotFile(join(folder, 'missing'), 'key one'), undefined);
  });

  it('is whole after two writers write it at once, and leaves no temporary file', async () => {
    const folder = tempFolder();
    const file = join(folder, 'x.snapshot');
    const a = new Uint8Array(3 << 20).fill(1);
    const b = new Uint8Array(3 << 20).fill(2);
    const results = await Promise.all([writeSnapshotFile(file, 'k', a), writeSnapshotFile(file, 'k', b), writeSnapshotFile(file, 'k', a)]);
    assert.deepEqual(results, [true, true, true]);
    const read = readSnapshotFile(file, 'k');
    assert.ok(read && (read.every((x) => x === 1) || read.every((x) => x === 2)));
    assert.deepEqual(readdirSync(folder), ['x.snapshot']);
  });

  it('keeps beside it the two newest snapshots of other versions, and no temporary file a dead writer left', async () => {
    const folder = tempFolder();
    const day = 24 * 3600;
    const now = Date.now() / 1000;
    for (const [name, ageDays] of [
      ['a.snapshot', 3],
      ['b.snapshot', 1],
      ['c.snapshot', 2],
      ['.c.snapshot.1.dead', 1],
      ['.b.snapshot.2.live', 0],
      ['notes.txt', 9],
    ] as const) {
      writeFileSync(join(folder, name), 'x');
      utimesSync(join(folder, name), now - ageDays * day, now - ageDays * day);
    }
    assert.equal(await writeSnapshotFile(join(folder, 'new.snapshot'), 'k', new Uint8Array(16)), true);
    assert.deepEqual(readdirSync(folder).sort(), ['.b.snapshot.2.live', 'b.snapshot', 'c.snapshot', 'new.snapshot', 'notes.txt']);
  });

  it('reports a write it could not make, and leaves nothing behind', async () => {
    const folder = tempFolder();
    writeFileSync(join(folder, 'blocker'), '');
    assert.equal(await writeSnapshotFile(join(folder, 'blocker', 'x.snapshot'), 'k', new Uint8Array(16)), false);
    assert.equal(existsSync(join(folder, 'blocker', 'x.snapshot')), false);
  });
});
