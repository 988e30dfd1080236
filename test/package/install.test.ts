/**
 * rlm installed the ways the README says: the packed tarball installed globally (the `rlm`
 * command, with and without rlm-bench's for `rlm bench`) and as a dependency of another project
 * (the library, its types checked with skipLibCheck off and without the optional AI SDK), and
 * refused at once by a Node older than 24. npm runs for real, from its cache where it can (the
 * registry only for what is not cached).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { BENCH, copyCheckout, REPO } from './checkout-copy.ts';

type Manifest = {
  version: string;
  exports: Record<string, { default: string; types: string }>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Manifest;
const benchManifest = JSON.parse(readFileSync(join(REPO, BENCH, 'package.json'), 'utf8')) as Manifest;
// npm on the Node running the tests (24): `npm` is a Node script that runs on the first node on PATH.
const NODE24_PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((candidate) => {
  const probe = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return probe.status === 0 && Number(probe.stdout.split('.')[0]) < 24;
});

/**
 * The global npmrc of the npm on PATH (Debian's: /usr/etc/npmrc, with the machine's CA file). npm
 * looks for it beside the node that runs it, and here npm runs on another node than its own.
 */
function npmGlobalConfig(): Record<string, string> {
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (!which) return {};
  // <prefix>/lib/node_modules/npm/bin/npm-cli.js -> <prefix>/etc/npmrc
  const file = join(dirname(realpathSync(which)), '..', '..', '..', '..', 'etc', 'npmrc');
  return existsSync(file) ? { npm_config_globalconfig: file } : {};
}
const NPM_ENV = npmGlobalConfig();
// What a proxy or a private registry may need, passed through if set.
const PASSED = ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (asynchronously: the scripted server answers in this process). */
function run(command: string, args: string[], options: { cwd?: string; path?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO,
      env: {
        ...Object.fromEntries(PASSED.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : []))),
        ...NPM_ENV,
        PATH: options.path ?? NODE24_PATH,
        HOME: process.env.HOME ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const npm = (args: string[], options: { cwd?: string; path?: string } = {}) =>
  run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund'], options);

describe('installing rlm', { timeout: 600_000 }, () => {
  let tarball: string;
  let benchTarball: string;
  let server: ScriptedModelServer;
  before(async () => {
    // `npm pack` in a copy of the checkout, so that its builds write no dist/ into the one in use;
    // the core first: rlm-bench builds against its types.
    const copy = copyCheckout('rlm-pack-');
    const packed = await npm(['pack', '--pack-destination', copy], { cwd: copy });
    assert.equal(packed.status, 0, packed.stderr);
    tarball = join(copy, `rlm-${manifest.version}.tgz`);
    assert.ok(existsSync(tarball), packed.stdout);
    const benchPacked = await npm(['pack', '--pack-destination', copy], { cwd: join(copy, BENCH) });
    assert.equal(benchPacked.status, 0, benchPacked.stderr);
    benchTarball = join(copy, `rlm-bench-${benchManifest.version}.tgz`);
    assert.ok(existsSync(benchTarball), benchPacked.stdout);

    const root = byTurn([repl("const part = await llm_query('what is in ' + context.slice(0, 9));\nFINAL('installed: ' + part)")]);
    server = await startScriptedServer({
      models: ['root', 'sub'],
      script: (request) => (request.model === 'root' ? root(request) : 'the sub answer'),
    });
  });
  after(() => server?.close());

  it('the tarball holds the build, the command and what it runs, and nothing of the sources', async () => {
    const listed = await run('tar', ['-tzf', tarball]);
    const files = listed.stdout
      .trim()
      .split('\n')
      .map((line) => line.replace(/^package\//, ''));
    for (const target of Object.values(manifest.exports)) {
      assert.ok(files.includes(target.default.replace('./', '')), target.default);
      assert.ok(files.includes(target.types.replace('./', '')), target.types);
    }
    for (const needed of [manifest.bin.rlm!, 'scripts/foreground.mjs', 'scripts/preinstall.mjs', 'package.json', 'README.md'])
      assert.ok(files.includes(needed), needed);
    const extra = files.filter(
      (file) =>
        /^(src|test|perf|packages|node_modules)\//.test(file) ||
        (file.endsWith('.ts') && !file.endsWith('.d.ts')) ||
        /(^|\/)\.(npmrc|env)/.test(file),
    );
    assert.deepEqual(extra, []);
    // The benchmark is rlm-bench's: no task generator, scorer or baseline here, nor minisearch.
    assert.deepEqual(
      files.filter((file) => /(^|\/)(tasks|benchmark)(\/|$)|scoring|baseline|retrieval|minisearch/.test(file)),
      [],
    );
    const packedManifest = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as Manifest;
    assert.equal(packedManifest.dependencies.minisearch, undefined);
  });

  it('the rlm-bench tarball holds its build and not its sources or tests', async () => {
    const listed = await run('tar', ['-tzf', benchTarball]);
    const files = listed.stdout
      .trim()
      .split('\n')
      .map((line) => line.replace(/^package\//, ''));
    for (const target of Object.values(benchManifest.exports)) {
      assert.ok(files.includes(target.default.replace('./', '')), target.default);
      assert.ok(files.includes(target.types.replace('./', '')), target.types);
    }
    assert.deepEqual(
      files.filter((file) => /^(src|test|perf|node_modules)\//.test(file) || (file.endsWith('.ts') && !file.endsWith('.d.ts'))),
      [],
    );
  });

  it('npm install -g of the tarball gives an `rlm` command that answers', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'rlm-global-'));
    const installed = await npm(['install', '-g', '--prefix', prefix, tarball]);
    assert.equal(installed.status, 0, installed.stderr);
    const context = join(prefix, 'notes.txt');
    writeFileSync(context, 'The notes of the day.\n'.repeat(100));
    const asked = await run(join(prefix, 'bin', 'rlm'), [
      'ask',
      '-q',
      '-c',
      context,
      '--base-url',
      server.url,
      '--model',
      'root',
      '--sub-model',
      'sub',
      'What is in the notes?',
    ]);
    assert.equal(asked.status, 0, asked.stderr);
    assert.equal(asked.stdout, 'installed: the sub answer\n');
    // rlm bench is rlm-bench's command: without it, one line says what to install.
    const bench = await run(join(prefix, 'bin', 'rlm'), ['bench', 'export', '--tasks', 'sniah', '--sizes', '8k', '-n', '1']);
    assert.deepEqual(bench, { status: 4, stdout: '', stderr: 'rlm: rlm bench needs the rlm-bench package: npm install rlm-bench\n' });
  });

  it('npm install -g of rlm-bench beside an installed rlm gives `rlm bench`, which exports tasks about that rlm', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'rlm-global-bench-'));
    assert.equal((await npm(['install', '-g', '--prefix', prefix, tarball])).status, 0);
    // Added later, on its own: it finds the rlm already installed (rlm is on no registry to fetch).
    const installed = await npm(['install', '-g', '--prefix', prefix, benchTarball]);
    assert.equal(installed.status, 0, installed.stderr);
    const exported = await run(join(prefix, 'bin', 'rlm'), ['bench', 'export', '--tasks', 'codeqa,sniah', '--sizes', '8k', '-n', '1']);
    assert.equal(exported.status, 0, exported.stderr);
    const [codeqa, sniah] = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { family: string; context: string });
    assert.equal(sniah!.family, 'sniah');
    assert.match(codeqa!.context, /^==> dist\/.*\.js <==$/m);
  });

  it(
    'on a Node older than 24 the install stops at once, saying so in one line',
    { skip: OLD_NODE ? false : 'no Node older than 24 on this machine' },
    async () => {
      const prefix = mkdtempSync(join(tmpdir(), 'rlm-global-old-'));
      // npm itself runs on the old Node here, as it would for a user who has only that.
      const installed = await npm(['install', '-g', '--prefix', prefix, tarball], { path: `${dirname(OLD_NODE!)}:/usr/bin:/bin` });
      assert.notEqual(installed.status, 0);
      assert.match(
        installed.stderr,
        /rlm: needs Node\.js 24 or newer; this is Node v\d+\.[\d.]+ \(.*\)\. Install Node 24, then run the install again\./,
      );
      assert.doesNotMatch(installed.stderr, /gyp|g\+\+|make:/, 'it stopped before compiling anything');
      assert.ok(!existsSync(join(prefix, 'bin', 'rlm')));
    },
  );

  it('as a dependency: the library runs against the scripted server, and its types check with skipLibCheck off', async () => {
    const project = mkdtempSync(join(tmpdir(), 'rlm-consumer-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    const typesNode = (JSON.parse(readFileSync(join(REPO, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string })
      .version;
    const installed = await npm(['install', tarball, benchTarball, `@types/node@${typesNode}`], { cwd: project });
    assert.equal(installed.status, 0, installed.stderr);
    // The AI SDK is an optional peer: not installed, and rlm's types must not need it.
    assert.ok(!existsSync(join(project, 'node_modules/@ai-sdk/provider')));

    const program = `import { RLM, createOpenAIModel, fromAiSdk, type RunResult } from 'rlm';
import { startScriptedServer, byTurn, repl } from 'rlm/testing';
import { scoreAnswer } from 'rlm-bench/tasks';
import { markdownReport } from 'rlm-bench';

const server = await startScriptedServer({
  script: (req) => (req.model === 'root' ? byTurn([repl("FINAL(await llm_query('size ' + context.length))")])(req) : 'a dependency answer'),
});
const rlm = new RLM({ model: createOpenAIModel({ model: 'root', baseURL: server.url, apiKey: 'none' }), subModel: createOpenAIModel({ model: 'sub', baseURL: server.url, apiKey: 'none' }) });
const result: RunResult = await rlm.run({ context: 'some text', query: 'q' });
await server.close();
const score: number = scoreAnswer({ score: 'exact', answer: 'a' }, 'a');
const unused = [fromAiSdk, markdownReport, score];
console.log(result.status, result.answer, unused.length);
`;
    writeFileSync(join(project, 'main.ts'), program);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2024',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
        },
        files: ['main.ts'],
      }),
    );
    const checked = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project });
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);

    // The same program as JavaScript, run on the installed package (Node strips the types).
    const ran = await run(process.execPath, ['main.ts'], { cwd: project });
    assert.equal(ran.status, 0, ran.stderr);
    assert.equal(ran.stdout, 'done a dependency answer 3\n');
  });
});
