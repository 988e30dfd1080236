/**
 * The `.gitignore` files of a walked tree, each applied relative to its own folder as git does:
 * a deeper file's rules come later, so they can re-include (`!pattern`) what a shallower one
 * excluded. Matching itself is the `ignore` package's, the matcher eslint and prettier use.
 */
import ignore, { type Ignore } from 'ignore';

interface Layer {
  /** The folder of the `.gitignore`, relative to the root, '' for the root itself. */
  readonly dir: string;
  readonly rules: Ignore;
}

/** The rules in force in one folder: its own `.gitignore` on top of its ancestors'. Immutable. */
export class GitignoreRules {
  static readonly none = new GitignoreRules([]);

  private readonly layers: readonly Layer[];

  private constructor(layers: readonly Layer[]) {
    this.layers = layers;
  }

  /** These rules plus those of the `.gitignore` in `dir` (relative to the root). */
  with(dir: string, gitignore: string): GitignoreRules {
    return new GitignoreRules([...this.layers, { dir, rules: ignore().add(gitignore) }]);
  }

  /** Whether `path` (relative to the root, POSIX) is ignored; `isDir` lets `name/` patterns match. */
  ignores(path: string, isDir: boolean): boolean {
    let ignored = false;
    for (const { dir, rules } of this.layers) {
      const relative = dir === '' ? path : path.slice(dir.length + 1);
      const result = rules.test(isDir ? `${relative}/` : relative);
      if (result.ignored) ignored = true;
      else if (result.unignored) ignored = false;
    }
    return ignored;
  }
}
