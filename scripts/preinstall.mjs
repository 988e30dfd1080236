// npm runs this before installing rlm (every `preinstall` of a tree runs before any `install`
// script), so an install that cannot work stops here with one line saying why: on a Node older
// than 24 instead of failing later in node-gyp, compiling isolated-vm for a Node it does not
// support; from a checkout that was not set up, instead of leaving a package that cannot load.
// A checkout installing its own dependencies (`npm ci` in the clone) is let through: its npm
// scripts and its `rlm` command run on Node 24 by themselves (scripts/node24.mjs, bin/rlm.js).
// Plain JavaScript that any Node parses: this must run on the old Node it refuses.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const here = process.cwd();
const global = process.env.npm_config_global === 'true';
const localPrefix = process.env.npm_config_local_prefix;
const ownCheckout = !global && localPrefix !== undefined && resolve(localPrefix) === here;

function refuse(reason) {
  process.stderr.write(`rlm: ${reason}\n`);
  process.exit(1);
}

if (!ownCheckout) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24)
    refuse(
      `needs Node.js 24 or newer; this is Node ${process.version} (${process.execPath}). Install Node 24, then run the install again.`,
    );
  // A folder is installed as a link to it: npm neither builds it nor installs its dependencies.
  const checkout = existsSync(resolve(here, 'src'));
  if (checkout && global && !existsSync(resolve(here, 'node_modules')))
    refuse(`run \`npm ci\` in ${here} first: a global install of a folder links to it and runs it with its own node_modules.`);
  if (checkout && !global && !existsSync(resolve(here, 'dist')))
    refuse(`${here} is a checkout without a build: run \`npm pack\` there and install the rlm-*.tgz it writes.`);
}
