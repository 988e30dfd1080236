/**
 * Warnings that libraries print with console.warn (the Anthropic SDK warns of a deprecated model
 * on every request, bypassing its own logger) are shown once each, on one line, through the
 * progress line's printer so that they do not break into it. The CLI owns its process; a library
 * would not do this.
 */
import { format } from 'node:util';

export function routeWarnings(print: (line: string) => void): () => void {
  const original = console.warn;
  const seen = new Set<string>();
  console.warn = (...args: unknown[]) => {
    const text = format(...args)
      .replace(/\s*\n\s*/g, ' ')
      .trim();
    if (text === '' || seen.has(text)) return;
    seen.add(text);
    print(`rlm: warning: ${text}`);
  };
  return () => {
    console.warn = original;
  };
}
