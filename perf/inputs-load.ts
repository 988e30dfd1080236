/**
 * Loading a corpus (src/inputs): a generated code base of 1,000 files (1.7 MiB, behind a
 * .gitignore, with a node_modules/ of 400 files, binaries and a file over the size cap), loaded
 * in memory and kept on disk, beside reading the same files with fs.readFile when their list is
 * already known; the peak memory of each, each in a fresh process; and a 2 GiB folder of sparse
 * files, kept on disk by 'auto'.
 *
 *   node --conditions=rlm-source --expose-gc perf/inputs-load.ts
 */
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCorpus } from '../src/inputs/index.ts';
import { makeCodeBase } from '../test/inputs/make-code-base.ts';
import { collect, median, round } from './lib.ts';
import { runChild } from './run-child.ts';

const RUNS = 9;
const MiB = 1024 * 1024;
const FLAGS = ['--conditions=rlm-source', '--expose-gc'];

type Way = 'loaded' | 'on-disk' | 'readFile' | 'auto';

interface MemoryReport {
  way: Way;
  ms: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
  heapAfterMiB: number;
}

/** One load in this (fresh) process, holding what it loaded while memory is measured. */
async function child(way: Way, root: string, listFile: string): Promise<void> {
  const paths = JSON.parse(await readFile(listFile, 'utf8')) as string[];
  collect();
  const rssBefore = process.memoryUsage().rss;
  const start = performance.now();
  const held = await once(way, root, paths);
  const ms = performance.now() - start;
  collect();
  const report: MemoryReport = {
    way,
    ms: round(ms),
    rssBeforeMiB: round(rssBefore / MiB, 1),
    // maxRSS is in KiB: the process's high-water mark, the load's peak included.
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
    heapAfterMiB: round(process.memoryUsage().heapUsed / MiB, 1),
  };
  // Still held here, so that the heap measured above includes it.
  if (held === undefined) throw new Error('nothing loaded');
  console.log(JSON.stringify(report));
}

async function once(way: Way, root: string, paths: readonly string[]): Promise<unknown> {
  if (way === 'readFile') return Promise.all(paths.map((p) => readFile(join(root, p), 'utf8')));
  return loadCorpus([root], way === 'auto' ? {} : { onDisk: way === 'on-disk' });
}

async function timed(way: Way, root: string, paths: readonly string[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    collect();
    const start = performance.now();
    await once(way, root, paths);
    if (i >= 2) times.push(performance.now() - start); // two warm-up runs
  }
  return times;
}

/** `files` sparse files of `each` bytes, a line of text at the start of each (the rest reads as NULs). */
async function makeSparse(root: string, files: number, each: number): Promise<void> {
  for (let i = 0; i < files; i++) {
    const file = await open(join(root, `part-${String(i).padStart(4, '0')}.txt`), 'w');
    await file.write(`part ${i}: `.padEnd(8192, 'text ') + '\n');
    await file.truncate(each);
    await file.close();
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'rlm-inputs-perf-'));
  try {
    const base = await makeCodeBase(root, 1000);
    const listFile = join(root, '..', `${root.split('/').at(-1)}.list.json`);
    await writeFile(listFile, JSON.stringify(base.documents));
    const corpus = await loadCorpus([root]);
    console.log(`code base: ${corpus.summary()}`);

    const results: Record<string, unknown> = {};
    for (const way of ['loaded', 'on-disk', 'readFile'] as const) {
      const times = await timed(way, root, base.documents);
      results[way] = { medianMs: round(median(times)), minMs: round(Math.min(...times)), maxMs: round(Math.max(...times)) };
    }
    const memory: MemoryReport[] = [];
    for (const way of ['loaded', 'on-disk', 'readFile'] as const)
      memory.push(await runChild<MemoryReport>('inputs-load.ts', ['--child', way, root, listFile], FLAGS));

    const sparse = await mkdtemp(join(tmpdir(), 'rlm-inputs-sparse-'));
    let big: Record<string, unknown>;
    try {
      await makeSparse(sparse, 300, 7 * MiB);
      const times: number[] = [];
      let summary = '';
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        const c = await loadCorpus([sparse]);
        times.push(performance.now() - start);
        summary = c.summary();
        if (i === 0) {
          const start = performance.now();
          await c.read(150, 0, 100);
          big = { firstReadMs: round(performance.now() - start) };
        }
      }
      const memory = await runChild<MemoryReport>('inputs-load.ts', ['--child', 'auto', sparse, listFile], FLAGS);
      big = { ...big!, summary, medianMs: round(median(times)), peakRssMiB: memory.peakRssMiB, rssBeforeMiB: memory.rssBeforeMiB };
    } finally {
      await rm(sparse, { recursive: true, force: true });
      await rm(listFile, { force: true });
    }

    const loaded = results.loaded as { medianMs: number };
    const plain = results.readFile as { medianMs: number };
    console.log('\nmedian of', RUNS, 'runs (ms):');
    for (const [way, r] of Object.entries(results)) console.log(`  ${way.padEnd(10)} ${JSON.stringify(r)}`);
    console.log(`  loaded / readFile: ${round(loaded.medianMs / plain.medianMs, 2)}x`);
    console.log('\nmemory, each in a fresh process (MiB):');
    for (const m of memory)
      console.log(
        `  ${m.way.padEnd(10)} rss before ${m.rssBeforeMiB}, peak rss ${m.peakRssMiB}, heap after (held) ${m.heapAfterMiB}, one load ${m.ms} ms`,
      );
    console.log('\n2 GiB of sparse files (300 x 7 MiB), onDisk auto:');
    console.log(`  ${JSON.stringify(big)}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3] as Way, process.argv[4]!, process.argv[5]!);
else await main();
