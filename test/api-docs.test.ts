/**
 * Every public export, of rlm and of rlm-bench, carries a doc comment: it is what an editor shows
 * a user at the moment they use it. Read with the TypeScript compiler, as an editor reads it.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ENTRIES = [
  'src/index.ts',
  'src/testing/index.ts',
  'src/cli/kit.ts',
  'src/ai-sdk/index.ts',
  'src/server/index.ts',
  'packages/bench/src/benchmark/index.ts',
  'packages/bench/src/tasks/index.ts',
  'packages/bench/src/cli/bench.ts',
  'packages/bench/src/worker.ts',
];

function undocumented(entry: string): string[] {
  const file = fileURLToPath(new URL(`../${entry}`, import.meta.url));
  const program = ts.createProgram([file], {
    allowImportingTsExtensions: true,
    noEmit: true,
    target: ts.ScriptTarget.ESNext,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // rlm-bench imports the core as `rlm`: its sources, as in the rest of the checkout.
    customConditions: ['rlm-source'],
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  return checker
    .getExportsOfModule(module)
    .filter((exported) => {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      return target.getDocumentationComment(checker).length === 0;
    })
    .map((exported) => exported.name);
}

describe('the public API', () => {
  for (const entry of ENTRIES) {
    it(`documents every export of ${entry}`, () => {
      assert.deepEqual(undocumented(entry), []);
    });
  }
});
