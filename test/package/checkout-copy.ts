/**
 * A copy of the checkout to build and pack in, so that no dist/ is written into the one in use:
 * the core and the rlm-bench workspace package, each with what its build and its `files` need.
 * Its node_modules links to the checkout's, except the workspace's own packages, which link into
 * the copy (as `npm ci` links them into a checkout), so that rlm-bench builds against this core.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BENCH = 'packages/bench';
const OWN_PACKAGES: Record<string, string> = { rlm: '..', 'rlm-bench': `../${BENCH}` };

export function copyCheckout(prefix: string): string {
  const copy = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'BENCHMARKS.md', 'bin', 'scripts', 'src']) {
    cpSync(join(REPO, entry), join(copy, entry), { recursive: true });
  }
  for (const entry of ['package.json', 'tsconfig.build.json', 'README.md', 'src']) {
    cpSync(join(REPO, BENCH, entry), join(copy, BENCH, entry), { recursive: true });
  }
  mkdirSync(join(copy, 'node_modules'));
  for (const name of readdirSync(join(REPO, 'node_modules'))) {
    symlinkSync(OWN_PACKAGES[name] ?? join(REPO, 'node_modules', name), join(copy, 'node_modules', name));
  }
  return copy;
}
