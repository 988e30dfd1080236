/**
 * A request's JSON body, read once for every route that takes one. JSON.parse itself survives any
 * nesting, but what comes after (the trace's JSON.stringify, the REPL's frames, code walking the
 * context) recurses: a body of a few hundred kilobytes of `[[[[...` took the whole server down. A
 * body nested deeper than a sandbox value may be is refused here, with a 400 naming the mistake.
 */
import type { Context } from 'hono';
import { MAX_VALUE_DEPTH } from '../sandboxes/limits.ts';
import { HttpError } from './http-error.ts';

/** The body parsed; 400 when it is not JSON or nests deeper than {@link MAX_VALUE_DEPTH}. (Its size was checked by the app.) */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (nestingDepth(text) > MAX_VALUE_DEPTH)
    throw new HttpError(400, 'invalid_request_error', `the request body nests arrays and objects more than ${MAX_VALUE_DEPTH} deep`, {
      code: 'json_too_deep',
    });
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new HttpError(400, 'invalid_request_error', `the request body is not valid JSON: ${reason}`, {
      param: 'body',
      code: 'invalid_json',
    });
  }
}

/** The deepest nesting of brackets outside strings, in one pass without recursion (malformed text is JSON.parse's to refuse). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // a backslash escapes the next character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (code === 0x5d || code === 0x7d) depth--;
  }
  return deepest;
}
