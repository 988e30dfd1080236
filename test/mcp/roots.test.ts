/** Confinement to the allowed roots, by real paths, as loadCorpus would resolve each source. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { allowedRoots, confineSources, OutsideRootsError, rootFolders } from '../../src/mcp/roots.ts';
import { makeWorkspace, type Workspace } from './support.ts';

let ws: Workspace;
before(async () => {
  ws = await makeWorkspace();
});

describe('confineSources', () => {
  it('lets through files, folders, globs and missing paths inside a root, as given', async () => {
    const sources = ['docs', 'docs/needle.txt', 'docs/**/*.md', '*.md', 'not-there.txt', join(ws.project, 'README.md')];
    assert.deepEqual(await confineSources(sources, ws.project, [ws.project]), sources);
  });

  it('takes file:// URIs as paths', async () => {
    const uri = pathToFileURL(join(ws.project, 'docs')).href;
    assert.deepEqual(await confineSources([uri], ws.project, [ws.project]), [join(ws.project, 'docs')]);
  });

  it('refuses what leaves the roots lexically, by a link, or by a glob walk starting outside', async () => {
    for (const source of [
      '..',
      '../outside',
      'escape',
      'escape/secret.txt',
      'escape/*',
      'secret-link.txt',
      '../*/secret.txt',
      'docs/../../outside/x',
      '/etc/*',
      '../missing/deeper',
    ]) {
      await assert.rejects(confineSources([source], ws.project, [ws.project]), (error: unknown) => {
        assert.ok(error instanceof OutsideRootsError, source);
        assert.equal(error.path, source);
        assert.deepEqual(error.roots, [ws.project]);
        return true;
      });
    }
  });

  it('allows a path inside any of several roots', async () => {
    assert.deepEqual(await confineSources([join(ws.outside, 'secret.txt')], ws.project, [ws.project, ws.outside]), [
      join(ws.outside, 'secret.txt'),
    ]);
  });
});

describe('allowedRoots', () => {
  it("is the client's roots, then the operator's, as real paths; the working folder when neither", async () => {
    assert.deepEqual(await allowedRoots([join(ws.project, 'escape')], [ws.project], ws.dir), [ws.outside, ws.project]);
    assert.deepEqual(await allowedRoots([], [], ws.project), [ws.project]);
    assert.deepEqual(await allowedRoots([join(ws.dir, 'gone')], [], ws.project), []);
  });

  it('reads only file:// roots', () => {
    assert.deepEqual(rootFolders([{ uri: pathToFileURL(ws.project).href }, { uri: 'https://example.com/repo' }]), [ws.project]);
  });
});
