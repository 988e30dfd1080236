/** The CSV parser on its own: RFC 4180 quoting, line endings, and the leniencies it allows. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvRecords, parseCsvRows } from '../../src/inputs/extractors/csv.ts';
import { ExtractError } from '../../src/inputs/extractors/extract-error.ts';

describe('parseCsvRows', () => {
  const cases: [string, string, string[][]][] = [
    [
      'plain fields',
      'a,b,c\n1,2,3\n',
      [
        ['a', 'b', 'c'],
        ['1', '2', '3'],
      ],
    ],
    [
      'CRLF, and no line break at the end',
      'a,b\r\n1,2',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'a lone CR ends a record',
      'a,b\r1,2\r',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    ['a quoted comma', '"Smith, Jane",1', [['Smith, Jane', '1']]],
    ['a doubled quote inside quotes', '"say ""hi""",x', [['say "hi"', 'x']]],
    ['line breaks inside quotes, CRLF kept', '"one\r\ntwo\nthree",x\n', [['one\r\ntwo\nthree', 'x']]],
    ['empty fields', ',,\n', [['', '', '']]],
    ['a comma at the very end', 'a,', [['a', '']]],
    ['an empty quoted field is a record, a blank line is not', '""\n\n\r\nx\n', [[''], ['x']]],
    ['a quote inside an unquoted field is kept', 'a"b,c\n', [['a"b', 'c']]],
    ['text after a closing quote is kept', '"a"b,c', [['ab', 'c']]],
    ['spaces are data', ' a , b ', [[' a ', ' b ']]],
    ['nothing', '', []],
    [
      'unicode',
      'ключ,値\n😀,"é,è"\n',
      [
        ['ключ', '値'],
        ['😀', 'é,è'],
      ],
    ],
  ];
  for (const [name, text, rows] of cases) {
    it(name, () => assert.deepEqual(parseCsvRows(text), rows));
  }

  it('refuses a quoted field that never closes, naming the line it opened on', () => {
    assert.throws(
      () => parseCsvRows('a\n"b\nc\n"d,"e\nf'),
      (e: unknown) => {
        assert.ok(e instanceof ExtractError);
        // "b\nc\n" opens on line 2 and closes on line 4; the quote opened after it runs to the end.
        assert.equal(e.message, 'unterminated quoted field starting on line 4');
        return true;
      },
    );
  });
});

describe('csvRecords', () => {
  it('keys every row by the header row, values as strings exactly as written', () => {
    assert.deepEqual(csvRecords('id,amount\n007,1.50\n8,1e3\n'), [
      { id: '007', amount: '1.50' },
      { id: '8', amount: '1e3' },
    ]);
  });

  it('fills a short row with empty strings, names extra fields and empty or repeated header cells', () => {
    assert.deepEqual(csvRecords('a,,a\n1\n1,2,3,4\n'), [
      { a: '1', column_2: '', a_2: '' },
      { a: '1', column_2: '2', a_2: '3', column_4: '4' },
    ]);
  });

  it('keeps a column named __proto__ as data', () => {
    const [record] = csvRecords('__proto__,x\npolluted,1\n');
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
    assert.deepEqual(Object.keys(record!), ['__proto__', 'x']);
    assert.equal(JSON.stringify(record), '{"__proto__":"polluted","x":"1"}');
  });

  it('has no records for a header alone or nothing', () => {
    assert.deepEqual(csvRecords('a,b\n'), []);
    assert.deepEqual(csvRecords(''), []);
  });
});
