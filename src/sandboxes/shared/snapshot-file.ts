/**
 * The boot snapshot as a file in the user's cache, so that a new program's first Python REPL
 * boots from it instead of from scratch. Read by the REPL process (which may read this one file
 * and write nothing), written by the run's process. Neither side ever fails a run over it: a file
 * that is missing, damaged, cut short, made for another Pyodide or another rlm, or that cannot be
 * written, only means booting from scratch (and writing a good one if possible).
 *
 * Layout: a header padded to 16 bytes (Pyodide reads the snapshot as 32-bit words), then the
 * snapshot exactly as Pyodide made it.
 *
 *   magic "RLMPYSNP" · u32 format · u32 key length · u64 payload length · 32-byte SHA-256 of the
 *   payload · the key (UTF-8) · zero padding · payload
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** In a REPL's private folder: the snapshot itself, as Pyodide made it. */
export const SNAPSHOT_FILE = 'python.snapshot';
/** In a REPL's private folder: where the snapshot file in the cache is, and its key (JSON). */
export const SNAPSHOT_POINTER = 'python.snapshot.json';

/** The cache file and the key it must carry. */
export interface SnapshotPlace {
  path: string;
  key: string;
}

const MAGIC = 'RLMPYSNP';
const FORMAT = 1;
const FIXED = 8 + 4 + 4 + 8 + 32;
const ALIGN = 16;
/** Only files named so are pruned: snapshots of other versions, and temporary files of them. */
const EXTENSION = '.snapshot';
/** Snapshot files of other keys kept beside the one written (another rlm or Pyodide in use). */
const KEEP_OTHERS = 2;
/** A temporary file older than this was left by a writer that died. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;

/** The header for `payload`, made for `key`. */
function header(key: string, payload: Uint8Array): Uint8Array {
  const keyBytes = Buffer.from(key, 'utf8');
  const out = Buffer.alloc(Math.ceil((FIXED + keyBytes.length) / ALIGN) * ALIGN);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(FORMAT, 8);
  out.writeUInt32LE(keyBytes.length, 12);
  out.writeBigUInt64LE(BigInt(payload.byteLength), 16);
  createHash('sha256').update(payload).digest().copy(out, 24);
  keyBytes.copy(out, FIXED);
  return out;
}

/** The snapshot in `bytes` (a whole file), or undefined unless it is whole, intact and made for `key`. */
export function decodeSnapshot(bytes: Uint8Array, key: string): Uint8Array | undefined {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (file.length < FIXED || file.toString('latin1', 0, 8) !== MAGIC || file.readUInt32LE(8) !== FORMAT) return undefined;
  const keyLength = file.readUInt32LE(12);
  if (FIXED + keyLength > file.length || file.toString('utf8', FIXED, FIXED + keyLength) !== key) return undefined;
  const start = Math.ceil((FIXED + keyLength) / ALIGN) * ALIGN;
  if (BigInt(file.length - start) !== file.readBigUInt64LE(16)) return undefined;
  const payload = file.subarray(start);
  if (!createHash('sha256').update(payload).digest().equals(file.subarray(24, 56))) return undefined;
  // Pyodide views the snapshot as 32-bit words: it must start on a multiple of four.
  return payload.byteOffset % 4 === 0 ? new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) : new Uint8Array(payload);
}

/** Reads and checks the snapshot file at `path`; undefined when there is none usable. */
export function readSnapshotFile(path: string, key: string): Uint8Array | undefined {
  try {
    return decodeSnapshot(readFileSync(path), key);
  } catch {
    return undefined;
  }
}

/**
 * Writes the snapshot to `path` whole or not at all: into a file of its own next to it, then
 * renamed over it, so a reader sees the old file or the new one and two writers at once leave
 * one good file. Resolves to whether it was written; never rejects.
 */
export async function writeSnapshotFile(path: string, key: string, payload: Uint8Array): Promise<boolean> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.write(header(key, payload));
      await file.write(payload);
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch {
    // A read-only or full disk: the next program boots from scratch, as it would without a file.
    await rm(temporary, { force: true }).catch(() => undefined);
    return false;
  }
  if (path.endsWith(EXTENSION)) await prune(path).catch(() => undefined);
  return true;
}

/**
 * Each rlm and Pyodide version writes a file of its own (30 MiB): beside the one just written,
 * keep the newest few other snapshot files, and no temporary file a dead writer left.
 */
async function prune(path: string): Promise<void> {
  const folder = dirname(path);
  const names = (await readdir(folder)).filter((name) => name !== basename(path) && name.includes(EXTENSION));
  const files = await Promise.all(
    names.map(async (name) => ({
      name,
      mtimeMs: await stat(join(folder, name)).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    })),
  );
  const temporary = files.filter((f) => f.name.startsWith('.') && Date.now() - f.mtimeMs > STALE_TEMPORARY_MS);
  const others = files
    .filter((f) => !f.name.startsWith('.') && f.name.endsWith(EXTENSION))
    .sort((a, b) => b.mtimeMs - a.mtimeMs)
    .slice(KEEP_OTHERS);
  await Promise.all([...temporary, ...others].map((f) => rm(join(folder, f.name), { force: true })));
}
