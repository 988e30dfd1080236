/** HTML to readable text: what is dropped, how blocks are set apart, entities, <pre>. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { htmlToText } from '../../src/inputs/extractors/html.ts';

describe('htmlToText', () => {
  it('drops scripts, styles, comments and other non-content, even with tags inside strings', () => {
    const html =
      '<p>a</p><script>if (x < 1) document.write("<p>no</p>")</script><style>p{}</style><!-- <p>gone</p> --><noscript>n</noscript><p>b</p>';
    assert.equal(htmlToText(html), 'a\n\nb');
  });

  it('renders headings as #, list items as "- ", table cells apart by " | "', () => {
    const html =
      '<h2>Plan</h2><ul><li>one</li><li>two <b>bold</b></li></ul><table><tr><th>k</th><th>v</th></tr><tr><td>x</td><td>1</td></tr></table>';
    assert.equal(htmlToText(html), '## Plan\n\n- one\n- two bold\n\nk | v\nx | 1');
  });

  it('collapses whitespace, except in <pre>, and keeps <br> line breaks', () => {
    const html = '<p>  many\n\n   spaces  here </p><pre>  keep\n    this</pre><p>line<br>break</p>';
    assert.equal(htmlToText(html), 'many spaces here\n\n  keep\n    this\n\nline\nbreak');
  });

  it('decodes named, decimal and hex entities, and an attribute holding ">" does not end a tag', () => {
    assert.equal(htmlToText('<a title="a > b">caf&eacute; &#233; &#xE9; &lt;tag&gt; &amp;amp;</a>'), 'café é é <tag> &amp;');
  });

  it('keeps inline elements in the flow of the text', () => {
    assert.equal(htmlToText('<p>The <a href="/x">link</a>, <em>stressed</em>and <code>code</code>.</p>'), 'The link, stressedand code.');
  });
});
