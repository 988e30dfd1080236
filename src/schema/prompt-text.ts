/** What the root model reads about an answer schema: the system prompt's paragraph, and the reply to a FINAL that did not match. */
import type { SchemaCheck } from './check.ts';

const HOW: Record<'javascript' | 'python', string> = {
  javascript:
    'call FINAL(value) or FINAL_VAR("name") with the value itself (an object, array, number or string, as the schema says), not a string of JSON',
  python:
    'call FINAL(value) or FINAL_VAR("name") with a dict, list, number or string, as the schema says; a dict or list is sent as JSON, so pass it as it is',
};

/**
 * The system prompt's paragraph on the answer's schema: FINAL must be given a value that matches
 * it, and the schema itself (or a note that it has no JSON form).
 *
 * @example
 * ```ts
 * const extra = schemaInstructions(schemaCheck({ type: 'object', properties: { total: { type: 'number' } } }), 'javascript');
 * ```
 */
export function schemaInstructions(check: SchemaCheck<unknown>, language: 'javascript' | 'python'): string {
  const shape =
    check.jsonSchema !== undefined ? `It must match this JSON Schema:\n\`\`\`json\n${check.describe()}\n\`\`\`` : check.describe();
  return `The answer must be structured data: ${HOW[language]}. ${shape}\nA value that does not match is refused with what is wrong, and you can call FINAL again.`;
}

/**
 * The user message after a FINAL whose value did not match the schema: what is wrong, and how many
 * more tries the model has.
 *
 * @example
 * ```ts
 * schemaMismatchMessage(['at .total: expected number, got string "12"'], 2);
 * ```
 */
export function schemaMismatchMessage(issues: string[], attemptsLeft: number): string {
  const left = attemptsLeft === 1 ? '1 attempt left' : `${attemptsLeft} attempts left`;
  return `Your FINAL answer does not match the required schema:\n${issues.map((issue) => `- ${issue}`).join('\n')}\nFix the value (check it in a repl block if needed), then call FINAL again with a corrected value; ${left}.`;
}
