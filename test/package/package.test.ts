/**
 * The packages as a user installs them: rlm and rlm-bench built with their builds' own settings,
 * laid out in a node_modules as their `files` lists ship them, each entry of their `exports`
 * imported, and the `rlm` command run from it, with rlm-bench beside it and without. The other
 * tests run the sources; this one catches what only the built packages get wrong.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BENCH, copyCheckout, REPO } from './checkout-copy.ts';

interface Manifest {
  files: string[];
  exports: Record<string, { default: string; types: string }>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
}
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Manifest;
const core = read(join(REPO, 'package.json'));
const bench = read(join(REPO, BENCH, 'package.json'));

/** A project's node_modules holding the packages given (name -> built folder) and the checkout's dependencies. */
function project(packages: Record<string, { from: string; manifest: Manifest }>): string {
  const root = mkdtempSync(join(tmpdir(), 'rlm-installed-'));
  mkdirSync(join(root, 'node_modules'));
  for (const name of readdirSync(join(REPO, 'node_modules'))) {
    if (name !== 'rlm' && name !== 'rlm-bench') symlinkSync(join(REPO, 'node_modules', name), join(root, 'node_modules', name));
  }
  for (const [name, { from, manifest }] of Object.entries(packages)) {
    // What `npm pack` would ship: package.json and the `files` list, with no sources beside it.
    const target = join(root, 'node_modules', name);
    cpSync(join(from, 'package.json'), join(target, 'package.json'));
    for (const entry of manifest.files)
      if (existsSync(join(from, entry))) cpSync(join(from, entry), join(target, entry), { recursive: true });
  }
  return root;
}

/**
 * Imports each entry of the package's exports in a Node of its own, without the checkout's
 * `rlm-source` condition this test runs under: as a user's program would, from dist alone.
 */
function assertExportsLoad(root: string, manifest: Manifest, expected: Record<string, string[]>): void {
  assert.deepEqual(Object.keys(manifest.exports).sort(), Object.keys(expected).sort());
  for (const [entry, target] of Object.entries(manifest.exports)) {
    const url = pathToFileURL(join(root, target.default)).href;
    const listed = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `console.log(Object.keys(await import(${JSON.stringify(url)})).join(' '))`],
      { encoding: 'utf8' },
    );
    assert.equal(listed.status, 0, listed.stderr);
    const names = listed.stdout.trim().split(' ');
    for (const name of expected[entry]!) assert.ok(names.includes(name), `${entry} exports ${name}`);
    assert.ok(readFileSync(join(root, target.types), 'utf8').length > 0, `${target.types} is built`);
  }
}

describe('the built packages', { timeout: 240_000 }, () => {
  let withBench: string;
  let coreAlone: string;
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  before(() => {
    const copy = copyCheckout('rlm-build-');
    const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: copy, stdio: 'pipe' });
    execFileSync(process.execPath, [join(copy, 'scripts/copy-assets.mjs')], { cwd: copy, stdio: 'pipe' });
    // rlm-bench builds against the core's built types, as it would against an installed rlm.
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: join(copy, BENCH), stdio: 'pipe' });
    withBench = project({ rlm: { from: copy, manifest: core }, 'rlm-bench': { from: join(copy, BENCH), manifest: bench } });
    coreAlone = project({ rlm: { from: copy, manifest: core } });
  });
  const bin = (root: string) => join(root, 'node_modules/rlm', core.bin!.rlm!);

  it("every entry of both packages' exports loads from dist, with its types beside it", () => {
    assertExportsLoad(join(withBench, 'node_modules/rlm'), core, {
      '.': ['RLM', 'createOpenAIModel', 'createAnthropicModel'],
      './testing': ['startScriptedServer', 'byTurn', 'repl'],
      './cli-kit': ['EXIT', 'parseFlags', 'renderHelp', 'resolveEndpoint', 'modelMaker', 'RemoteJobs'],
      './ai-sdk': ['rlmModel', 'rlmTool', 'NoAnswerError'],
      './server': ['startServer', 'createApp', 'ModelCatalog', 'RunManager'],
    });
    assertExportsLoad(join(withBench, 'node_modules/rlm-bench'), bench, {
      '.': ['runBenchmark', 'runMethod', 'markdownReport', 'scoreChart'],
      './tasks': ['generateTask', 'scoreAnswer', 'TASK_FAMILIES'],
      './cli': ['bench'],
      './worker': ['runBenchJob'],
    });
  });

  it('the core ships no task generator, scorer, baseline or minisearch', () => {
    const files = readdirSync(join(coreAlone, 'node_modules/rlm'), { recursive: true, encoding: 'utf8' });
    assert.deepEqual(
      files.filter((file) => /(^|\/)(tasks|benchmark)(\/|$)|scoring|baseline|retrieval|minisearch/.test(file)),
      [],
    );
    assert.equal(core.dependencies?.minisearch, undefined);
    assert.ok(bench.dependencies?.minisearch, 'rlm-bench depends on minisearch');
  });

  it('the rlm command runs from dist: the demo answers, and bench export asks about the installed rlm', () => {
    // Both REPLs: the Python one needs the runtime files the build copies beside the JavaScript.
    for (const repl of ['js', 'python']) {
      const demo = spawnSync(process.execPath, [bin(withBench), 'demo', '--repl', repl], { env, encoding: 'utf8', timeout: 120_000 });
      assert.equal(demo.status, 0, `${repl}: ${demo.stderr}`);
      assert.match(demo.stdout, /Ines Alvarado, day 1287; 119 storms/, repl);
    }
    const exported = spawnSync(
      process.execPath,
      [bin(withBench), 'bench', 'export', '--tasks', 'codeqa,sniah', '--sizes', '8k', '-n', '1'],
      { env, encoding: 'utf8' },
    );
    assert.equal(exported.status, 0, exported.stderr);
    const [codeqa] = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { context: string });
    // The code base asked about by default is the installed rlm package: its built JavaScript.
    assert.match(codeqa!.context, /^==> dist\/.*\.js <==$/m);
  });

  it('without rlm-bench, rlm bench says in one line which package to install, exit 4', () => {
    const run = spawnSync(process.execPath, [bin(coreAlone), 'bench', 'export', '--tasks', 'sniah'], { env, encoding: 'utf8' });
    assert.equal(run.status, 4, run.stderr);
    assert.equal(run.stderr, 'rlm: rlm bench needs the rlm-bench package: npm install rlm-bench\n');
    assert.equal(run.stdout, '');
  });
});
