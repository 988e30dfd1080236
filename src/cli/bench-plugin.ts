/**
 * `rlm bench` is the rlm-bench package's command: the quality benchmark is a product of its own,
 * installed beside rlm by those who want it. Without it, `rlm bench` says how to get it.
 */
import { EXIT } from './exit-codes.ts';
import type { CliIO } from './io.ts';

type Command = (argv: string[], io: CliIO) => Promise<number>;

export const BENCH_PACKAGE = 'rlm-bench';

/** The bench command of the installed rlm-bench package, or one that says how to install it. */
export async function benchCommand(): Promise<Command> {
  try {
    const { bench } = (await import(`${BENCH_PACKAGE}/cli`)) as { bench: Command };
    return bench;
  } catch (error) {
    // Only the package itself missing: a module missing inside it is its own fault, shown as is.
    if (!isMissing(error, BENCH_PACKAGE)) throw error;
    return async (_argv, io) => {
      io.stderr.write(`rlm: rlm bench needs the ${BENCH_PACKAGE} package: npm install ${BENCH_PACKAGE}\n`);
      return EXIT.missingPackage;
    };
  }
}

function isMissing(error: unknown, name: string): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'ERR_MODULE_NOT_FOUND' && (message ?? '').includes(`'${name}'`);
}
