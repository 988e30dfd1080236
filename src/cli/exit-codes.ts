/** The one place where errors and run statuses become exit codes (documented in the README). */
import { RlmError, type RlmErrorCode } from '../errors.ts';
import type { RunStatus } from '../trace/events.ts';

/** rlm's exit codes, by what they mean (the README lists them). */
export const EXIT = {
  /** An answer was printed. */
  answer: 0,
  /** The run ended without an answer (budget, time limit, provider failure mid-run). */
  noAnswer: 1,
  /** Bad usage or input: flags, files, context, missing key. */
  usage: 2,
  /** The model endpoint failed us: unreachable, rejected the model name or the key. */
  endpoint: 3,
  /** The command comes with a package that is not installed (`rlm bench` without rlm-bench). */
  missingPackage: 4,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

const BY_CODE: Partial<Record<RlmErrorCode, number>> = {
  RLM_USAGE: EXIT.usage,
  RLM_INPUT: EXIT.usage,
  RLM_MISSING_KEY: EXIT.usage,
  RLM_NO_MODEL: EXIT.usage,
  RLM_ENDPOINT_UNREACHABLE: EXIT.endpoint,
  RLM_MODEL_REJECTED: EXIT.endpoint,
  RLM_AUTH: EXIT.endpoint,
  RLM_CANCELLED: EXIT.interrupted,
};

export function exitCodeForError(error: unknown): number {
  if (RlmError.isInstance(error)) return BY_CODE[error.code] ?? EXIT.noAnswer;
  return EXIT.noAnswer;
}

export function exitCodeForRun(status: RunStatus, answered: boolean, errorCode: string | undefined): number {
  if (answered) return EXIT.answer;
  if (status === 'cancelled') return EXIT.interrupted;
  if (errorCode) return BY_CODE[errorCode as RlmErrorCode] ?? EXIT.noAnswer;
  return EXIT.noAnswer;
}

/** One line for stderr: never a stack trace. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `rlm: ${message.split('\n')[0]}`;
}
