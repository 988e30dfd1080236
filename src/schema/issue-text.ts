/**
 * How a mismatch reads to the model: one short line per issue, `at .items[2].price: expected
 * number, got string "12"`, so that it can find the place in its value and fix it. Both kinds of
 * schema (JSON Schema and Standard Schema) end up here.
 */

/** More issues than this help no one fix a value; the rest are counted. */
export const MAX_ISSUES = 20;

/** A vendor's message can quote a whole input back; the model needs the gist. */
const MAX_LINE_CHARS = 300;

/** A quoted string is cut past this: enough to recognise it. */
const MAX_QUOTE_CHARS = 40;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A path as code would write it: `.items[2].price`, `["odd key"]`; the value itself is `the top level`. */
export function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the top level';
  return path
    .map((key) => {
      if (typeof key === 'number') return `[${key}]`;
      if (typeof key === 'symbol') return `[${key.toString()}]`;
      return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    })
    .join('');
}

/** A value as the model should recognise it in an issue: its JSON type, and itself when it is short. */
export function valueText(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array of ${value.length}`;
  switch (typeof value) {
    case 'string':
      return `string ${quote(value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'object';
    default:
      return typeof value;
  }
}

/** A string in JSON quotes, cut when long. */
export function quote(text: string): string {
  return text.length > MAX_QUOTE_CHARS ? `${JSON.stringify(text.slice(0, MAX_QUOTE_CHARS))}...` : JSON.stringify(text);
}

/**
 * One issue's line. A message that starts by naming the path itself (ArkType's `items[1].price
 * must be a number`) loses that start: the line names it already.
 */
export function issueLine(path: readonly PropertyKey[], message: string): string {
  const where = pathText(path);
  const named = where.replace(/^\./, '') + ' ';
  const text = path.length > 0 && message.startsWith(named) ? message.slice(named.length) : message;
  const line = `at ${where}: ${text.replace(/\s*\n\s*/g, ' ')}`;
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}...` : line;
}

/** Without repeats, at most {@link MAX_ISSUES}, then `+N more`. */
export function capIssues(lines: readonly string[]): string[] {
  const unique = [...new Set(lines)];
  if (unique.length <= MAX_ISSUES) return unique;
  return [...unique.slice(0, MAX_ISSUES), `+${unique.length - MAX_ISSUES} more`];
}
