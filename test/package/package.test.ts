/**
 * The package as a user installs it: built with the build's own settings, laid out as its
 * `files` list ships it, each entry of its `exports` imported, and the `rlm` command run from it.
 * The other tests run the sources; this one catches what only the built package gets wrong.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, { default: string; types: string }>; bin: Record<string, string> };

describe('the built package', { timeout: 180_000 }, () => {
  let installed: string;
  before(() => {
    const build = mkdtempSync(join(tmpdir(), 'rlm-build-'));
    execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(build, 'dist')], { cwd: REPO, stdio: 'pipe' });
    execFileSync(process.execPath, [join(REPO, 'scripts/copy-assets.mjs'), join(build, 'dist')], { cwd: REPO, stdio: 'pipe' });
    // What `npm pack` would ship: package.json and the `files` list, with no sources beside it.
    installed = mkdtempSync(join(tmpdir(), 'rlm-installed-'));
    cpSync(join(REPO, 'package.json'), join(installed, 'package.json'));
    for (const entry of manifest.files) cpSync(join(entry === 'dist' ? build : REPO, entry), join(installed, entry), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(installed, 'node_modules'), 'dir');
  });

  it('every entry of exports loads from dist, with its types beside it', async () => {
    const expected: Record<string, string[]> = {
      '.': ['RLM', 'createOpenAIModel', 'createAnthropicModel'],
      './testing': ['startScriptedServer', 'byTurn', 'repl'],
      './tasks': ['generateTask', 'scoreAnswer', 'TASK_FAMILIES'],
      './bench': ['runBenchmark', 'runMethod', 'markdownReport', 'scoreChart'],
    };
    assert.deepEqual(Object.keys(manifest.exports).sort(), Object.keys(expected).sort());
    for (const [entry, target] of Object.entries(manifest.exports)) {
      const module = (await import(pathToFileURL(join(installed, target.default)).href)) as Record<string, unknown>;
      for (const name of expected[entry]!) assert.ok(module[name] !== undefined, `${entry} exports ${name}`);
      assert.ok(readFileSync(join(installed, target.types), 'utf8').length > 0, `${target.types} is built`);
    }
  });

  it('the rlm command runs from dist: the demo answers, and bench export asks about the package itself', () => {
    const bin = join(installed, manifest.bin.rlm!);
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    // Both REPLs: the Python one needs the runtime files the build copies beside the JavaScript.
    for (const repl of ['js', 'python']) {
      const demo = spawnSync(process.execPath, [bin, 'demo', '--repl', repl], { env, encoding: 'utf8', timeout: 120_000 });
      assert.equal(demo.status, 0, `${repl}: ${demo.stderr}`);
      assert.match(demo.stdout, /Ines Alvarado, day 1287; 119 storms/, repl);
    }
    const exported = spawnSync(process.execPath, [bin, 'bench', 'export', '--tasks', 'codeqa,sniah', '--sizes', '8k', '-n', '1'], { env, encoding: 'utf8' });
    assert.equal(exported.status, 0, exported.stderr);
    const [codeqa] = exported.stdout.trim().split('\n').map((line) => JSON.parse(line) as { context: string });
    // The code base asked about by default is the installed package: its built JavaScript.
    assert.match(codeqa!.context, /^==> dist\/.*\.js <==$/m);
  });
});
