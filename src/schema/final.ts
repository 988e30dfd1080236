/**
 * A FINAL's text back to the value it stands for. FINAL(obj) reaches the host as JSON text
 * (indented), FINAL("text") as the text itself; the text alone cannot say which was meant, so
 * the schema decides: `42` is the number 42 unless only the string "42" matches.
 */
import type { CheckResult, SchemaCheck } from './check.ts';

/**
 * Checks a FINAL's text against the schema: read as JSON first; if that value fails and the raw
 * text passes (a string answer that happens to look like JSON), the raw text is the answer.
 * When both fail, the issues are those of the JSON reading when the text is JSON.
 *
 * @example
 * ```ts
 * await checkFinal(schemaCheck({ type: 'object' }), '{\n  "a": 1\n}'); // { ok: true, value: { a: 1 } }
 * await checkFinal(schemaCheck({ type: 'string' }), '42'); // { ok: true, value: '42' }
 * ```
 */
export async function checkFinal<T>(check: SchemaCheck<T>, finalText: string): Promise<CheckResult<T>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(finalText);
  } catch {
    return check.validate(finalText);
  }
  const asJson = await check.validate(parsed);
  if (asJson.ok || typeof parsed === 'string') return asJson;
  const asText = await check.validate(finalText);
  return asText.ok ? asText : asJson;
}
