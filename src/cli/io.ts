/** What a command reads and writes: the process's streams and environment, or a test's. */
import { errorLine, EXIT } from './exit-codes.ts';

/** The streams and environment a command reads and writes; a test passes its own. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  stderrIsTTY: boolean;
  /** Whether stdout is a terminal: an answer shown there has its control characters escaped. */
  stdoutIsTTY?: boolean;
  env: NodeJS.ProcessEnv;
}

/** This process's streams and environment. */
export function processIO(): CliIO {
  // A reader that stops early (`rlm bench export | head`) closes the pipe. What it did not read
  // is not wanted, so the command ends there, quietly, as Unix tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') process.stderr.write(`${errorLine(error)}\n`);
    process.exit(error.code === 'EPIPE' ? EXIT.answer : EXIT.noAnswer);
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stderrIsTTY: process.stderr.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    env: process.env,
  };
}
