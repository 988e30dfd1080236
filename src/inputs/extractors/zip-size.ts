/**
 * What a zip archive says it unpacks to, read from its central directory before anything is
 * inflated: a DOCX of a megabyte can unpack to gigabytes (a zip bomb), and the parser would
 * hold all of it in memory.
 */
import { ExtractError } from './extract-error.ts';

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const ZIP64_SIZE = 0xffffffff;

/** The sum of the sizes the archive's entries declare unpacked, in bytes. */
export function unpackedSize(bytes: Buffer): number {
  // The end record is in the last 22 bytes, or up to 64 KiB before them when there is a comment.
  const from = Math.max(0, bytes.length - 22 - 0xffff);
  let end = -1;
  for (let at = bytes.length - 22; at >= from; at--) {
    if (bytes.readUInt32LE(at) === END_OF_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new ExtractError('not a zip archive (no central directory)');
  const entries = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  let total = 0;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== DIRECTORY_ENTRY) throw new ExtractError('a damaged zip archive');
    const size = bytes.readUInt32LE(at + 24);
    // A zip64 entry keeps its real size elsewhere: past 4 GiB, more than any limit here.
    total += size === ZIP64_SIZE ? Number.MAX_SAFE_INTEGER : size;
    at += 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return total;
}
