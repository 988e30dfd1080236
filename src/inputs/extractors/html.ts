/**
 * HTML to readable text. Tokenizing and entity decoding are htmlparser2's (HTML5's full entity
 * table, raw-text `<script>`/`<style>`, attributes holding `>`, comments); the rendering is ours
 * and small: scripts, styles and other non-content elements dropped, headings as Markdown `#`,
 * paragraphs and blocks a blank line apart, list items as `- `, table cells apart by ` | `,
 * whitespace collapsed except in `<pre>`.
 */
import { Parser } from 'htmlparser2';

const DROPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'canvas', 'select']);
/** Elements that stand apart from what is around them by a blank line (2) or a line break (1). */
const BREAKS: Record<string, 1 | 2> = {
  p: 2,
  h1: 2,
  h2: 2,
  h3: 2,
  h4: 2,
  h5: 2,
  h6: 2,
  blockquote: 2,
  pre: 2,
  table: 2,
  ul: 2,
  ol: 2,
  dl: 2,
  hr: 2,
  section: 2,
  article: 2,
  aside: 2,
  header: 2,
  footer: 2,
  main: 2,
  nav: 2,
  figure: 2,
  form: 2,
  fieldset: 2,
  details: 2,
  title: 2,
  div: 1,
  li: 1,
  tr: 1,
  dt: 1,
  dd: 1,
  caption: 1,
  figcaption: 1,
  summary: 1,
  address: 1,
  legend: 1,
  option: 1,
};

/** The readable text of an HTML document or fragment. */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let pendingBreak = 0; // line breaks owed before the next text
  let pendingSpace = false; // a collapsed space owed before the next text
  let dropped = 0; // depth inside dropped elements
  let pre = 0; // depth inside <pre>
  let cell = 0; // cells so far in the current table row

  const breakLine = (n: number): void => {
    if (out.length > 0) pendingBreak = Math.max(pendingBreak, n);
    pendingSpace = false;
  };
  const write = (text: string): void => {
    if (pendingBreak > 0) out.push('\n'.repeat(pendingBreak));
    else if (pendingSpace && out.length > 0) out.push(' ');
    pendingBreak = 0;
    pendingSpace = false;
    out.push(text);
  };

  const parser = new Parser(
    {
      onopentag(name) {
        if (DROPPED.has(name)) dropped++;
        if (dropped > 0) return;
        if (name === 'pre') pre++;
        if (name === 'br') {
          out.push('\n'.repeat(pendingBreak + 1));
          pendingBreak = 0;
          pendingSpace = false;
          return;
        }
        const level = BREAKS[name];
        if (level !== undefined) breakLine(level);
        if (/^h[1-6]$/.test(name)) write(`${'#'.repeat(Number(name[1]))} `);
        else if (name === 'li') write('- ');
        else if (name === 'hr') write('---');
        else if (name === 'tr') cell = 0;
        else if ((name === 'td' || name === 'th') && cell++ > 0) write(' | ');
      },
      ontext(text) {
        if (dropped > 0) return;
        if (pre > 0) {
          write(text);
          return;
        }
        // HTML's whitespace is ASCII only: a no-break space (&nbsp;) is text and stays.
        const words = text.replace(/[ \t\n\f\r]+/g, ' ');
        if (words.startsWith(' ')) pendingSpace = true;
        const trimmed = words.replace(/^ | $/g, '');
        if (trimmed !== '') write(trimmed);
        if (trimmed !== '' && words.endsWith(' ')) pendingSpace = true;
      },
      onclosetag(name) {
        if (DROPPED.has(name)) {
          dropped = Math.max(0, dropped - 1);
          return;
        }
        if (dropped > 0) return;
        if (name === 'pre') pre = Math.max(0, pre - 1);
        const level = BREAKS[name];
        if (level !== undefined) breakLine(level);
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return out
    .join('')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/^\n+|\s+$/g, '');
}
