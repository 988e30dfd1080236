/** The summary line, sizes in binary units, and the one order of paths. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byCodePoint } from '../../src/inputs/order.ts';
import { formatBytes, summarize } from '../../src/inputs/summary.ts';

describe('summarize', () => {
  it('counts, sizes, where from, and each reason with a few names then "+N more"', () => {
    const line = summarize({
      documents: 1000,
      totalBytes: 4.2 * 1024 * 1024,
      sources: ['./repo'],
      onDisk: true,
      maxFileBytes: 10 * 1024 * 1024,
      skipped: [
        { path: 'node_modules/', reason: 'ignored' },
        { path: 'dist/', reason: 'ignored' },
        { path: '.env', reason: 'ignored' },
        { path: 'logo.png', reason: 'binary' },
        { path: 'a.out', reason: 'binary' },
        { path: 'big.log', reason: 'too-large', bytes: 11 * 1024 * 1024 },
        ...['1', '2', '3', '4', '5'].map((n) => ({ path: `x${n}.pdf`, reason: 'unreadable' as const, detail: 'not a PDF (bad header)' })),
      ],
    });
    assert.equal(
      line,
      '1,000 files, 4.2 MiB from ./repo (kept on disk); skipped: 3 ignored (node_modules/, dist/, .env), 2 binary (logo.png, a.out), ' +
        '1 over 10 MiB (big.log), 5 unreadable (x1.pdf, x2.pdf, x3.pdf, +2 more)',
    );
  });

  it('says nothing of skips when there were none', () => {
    assert.equal(
      summarize({ documents: 1, totalBytes: 1, sources: ['a.txt'], onDisk: false, maxFileBytes: 10, skipped: [] }),
      '1 file, 1 byte from a.txt',
    );
  });
});

describe('formatBytes', () => {
  it('uses bytes, KiB, MiB and GiB, with one decimal below 10', () => {
    assert.deepEqual([0, 1023, 1024, 1536, 10 * 1024, 10 * 1024 * 1024, 2.5 * 1024 ** 3].map(formatBytes), [
      '0 bytes',
      '1023 bytes',
      '1 KiB',
      '1.5 KiB',
      '10 KiB',
      '10 MiB',
      '2.5 GiB',
    ]);
  });
});

describe('byCodePoint', () => {
  it('orders by Unicode code point, astral characters after the end of the BMP', () => {
    const paths = ['b', 'a/b', 'a-c', 'A', '\uffff', '\u{1f600}', 'é', 'a'];
    assert.deepEqual(paths.sort(byCodePoint), ['A', 'a', 'a-c', 'a/b', 'b', 'é', '\uffff', '\u{1f600}']);
  });
});
