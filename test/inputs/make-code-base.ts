/**
 * A generated code base for the tests and the benchmark: source files (.ts, .md, .json) in nested
 * folders behind a `.gitignore` (node_modules/ and *.log), with a node_modules/ of many files,
 * two binaries, a log and one file past the size cap.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface CodeBase {
  /** The paths of the files that should become documents (the .gitignore included), sorted. */
  documents: string[];
  /** The file that holds the one named function, and the function's name. */
  needle: { path: string; name: string };
  /** The total size of the documents, in bytes. */
  bytes: number;
}

const MiB = 1024 * 1024;

/** Writes the code base into `root` (an empty folder): `files` source files, about 3 KiB each. */
export async function makeCodeBase(root: string, files = 1000, options: { bigFileBytes?: number } = {}): Promise<CodeBase> {
  const written = new Map<string, string | Buffer>();
  written.set('.gitignore', 'node_modules/\n*.log\n');
  // A .ts file (every third one) about two fifths of the way in.
  const needleAt = 3 * Math.floor(files * 0.146);
  let needle = { path: '', name: 'computeInvoiceTotal' };
  for (let i = 0; i < files; i++) {
    const dir = `src/module-${i % 20}/part-${i % 7}${i % 3 === 0 ? '/deep/er' : ''}`;
    const kind = i % 3;
    if (kind === 0) {
      const name = i === needleAt ? needle.name : `helper${i}`;
      const path = `${dir}/file-${i}.ts`;
      if (i === needleAt) needle = { path, name };
      written.set(path, tsFile(i, name));
    } else if (kind === 1) {
      written.set(`${dir}/notes-${i}.md`, mdFile(i));
    } else {
      written.set(
        `${dir}/config-${i}.json`,
        JSON.stringify({ id: i, name: `config ${i}`, values: Array.from({ length: 60 }, (_, k) => k * i) }, null, 2),
      );
    }
  }
  const documents = [...written.keys()];
  const bytes = [...written.values()].reduce((n, v) => n + Buffer.byteLength(v), 0);
  // Ignored, binary and too large: none of these is a document.
  for (let i = 0; i < 400; i++) written.set(`node_modules/pkg-${i % 40}/lib/index-${i}.js`, `module.exports = ${i};\n`);
  written.set('debug.log', 'a log line\n'.repeat(100));
  written.set('assets/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]));
  written.set('bin/data.bin', Buffer.from('header\0\0\0payload'));
  written.set('big.txt', 'x'.repeat(options.bigFileBytes ?? 10 * MiB + 1));
  for (const [path, content] of written) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return { documents: documents.sort(), needle, bytes };
}

function tsFile(i: number, name: string): string {
  const filler = Array.from({ length: 40 }, (_, k) => `  const step${k} = input * ${k + i} + ${k}; // step ${k} of ${i}`).join('\n');
  return `/** Module ${i}. */\nexport function ${name}(input: number): number {\n${filler}\n  return input + ${i};\n}\n`;
}

function mdFile(i: number): string {
  return `# Notes ${i}\n\n${`This paragraph explains part ${i} of the system in plain words. `.repeat(40)}\n`;
}
