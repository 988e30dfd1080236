/**
 * Patterns a schema may hold, as the regular expression engine Ajv compiles them with: a pattern
 * whose repeated group itself repeats (`^(a+)+$`) can take exponential time on text model code
 * chose, and a check blocks the run's thread, so no time limit could end it. Such a pattern is
 * refused when the schema is given, with the reason. Other slow shapes (overlapping alternatives
 * in a repeated group) are not caught.
 */

/** The engine for Ajv's `code.regExp`: a native RegExp, for patterns that cannot backtrack without end. */
export const guardedRegExp = Object.assign(
  (source: string, flags: string): RegExp => {
    if (nestedRepetition(source)) {
      throw new Error(
        `the pattern ${JSON.stringify(source)} repeats a group that itself repeats, which can take exponential time: rewrite it`,
      );
    }
    return new RegExp(source, flags);
  },
  { code: 'new RegExp' },
);

/** Whether a group holding an unbounded repetition (`*`, `+`, `{n,}`) is itself repeated. */
export function nestedRepetition(source: string): boolean {
  const groups: boolean[] = [];
  let repeats = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // A character class: its brackets and quantifier characters are literal.
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      continue;
    }
    if (c === '(') {
      groups.push(repeats);
      repeats = false;
    } else if (c === ')') {
      const inner: boolean = repeats;
      repeats = groups.pop() ?? false;
      const quantified = unbounded(source, i + 1);
      if (inner && quantified) return true;
      repeats ||= inner || quantified;
    } else if (unbounded(source, i)) {
      repeats = true;
    }
  }
  return false;
}

/** Whether the text at `at` repeats without a small bound: `*`, `+`, `{n,}` or `{n,m}` with m > 1 (not `{n}`). */
function unbounded(source: string, at: number): boolean {
  const c = source[at];
  if (c === '*' || c === '+') return true;
  if (c !== '{') return false;
  const braces = /^\{(\d*)(,(\d*))?\}/.exec(source.slice(at));
  if (!braces) return false;
  if (braces[2] === undefined) return false;
  return braces[3] === '' || Number(braces[3]) > 1;
}
