// Copies the files the build needs besides compiled TypeScript (the Python REPL's runtime) into dist/.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function copy(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isDirectory()) copy(source, join(to, entry.name));
    else if (entry.name.endsWith('.py')) cpSync(source, join(to, entry.name));
  }
}
// The output folder may be given (the package test builds into a temporary one).
copy('src', process.argv[2] ?? 'dist');
