/**
 * How much text may leave a REPL, whatever the language. Model code is untrusted: every text it
 * hands the host (an error, an answer, a prompt, a child's context, a tool's arguments) is bounded
 * where it is made, in the REPL, and checked again where it arrives, in the run's process, so a
 * single line of model code cannot grow the host's memory or a provider's request without end.
 */

/** A cell's error as the model sees it: longer ones are cut, and say so. */
export const MAX_ERROR_CHARS = 10_000;

/** A FINAL answer: a longer one is refused in the cell, so the model can answer more briefly. */
export const MAX_ANSWER_CHARS = 1_000_000;

/** A sub-call's prompt: about a million tokens, past every model's window; a longer one is refused. */
export const MAX_PROMPT_CHARS = 4_000_000;

/** A child RLM's context, or a tool call's arguments, as JSON text; a longer one is refused. */
export const MAX_VALUE_JSON_CHARS = 32_000_000;

/**
 * Host calls (sub-calls and tools) one REPL may have in flight at once; more wait inside the REPL
 * process, so that a cell firing a million calls holds the host to this many.
 */
export const MAX_CALLS_IN_FLIGHT = 32;

/** Calls one cell may have waiting beyond those in flight; past it a call fails at once. */
export const MAX_CALLS_WAITING = 10_000;

/** Cuts an error to `MAX_ERROR_CHARS`, saying how much was cut. */
export function cutError(error: string, max = MAX_ERROR_CHARS): string {
  if (error.length <= max) return error;
  return `${error.slice(0, max)} [... ${(error.length - max).toLocaleString('en-US')} more characters of this error cut]`;
}

/**
 * How deeply a child's context or a tool's arguments may nest arrays and objects; a deeper one is
 * refused. Far beyond any real document, and well within what code walking it recursively survives.
 */
export const MAX_VALUE_DEPTH = 1_000;

/**
 * A JSON Schema model code gives `rlm_query` (`{ schema }`), as JSON text; a larger one is
 * refused. Far beyond any schema an answer needs, and small enough that every child's system
 * prompt and trace can carry it.
 */
export const MAX_SCHEMA_JSON_CHARS = 64 * 1024;
