/** Help written from the flags' definitions, and the one parse-and-refuse every command uses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HELP_FLAG, parseFlags, renderHelp, type Flags } from '../../src/cli/options.ts';

const FLAGS = {
  context: { type: 'string', short: 'c', multiple: true, value: '<file>', help: 'the input;\nrepeat it for a list' },
  repl: { type: 'string', value: '<js|python>', default: 'js', choices: ['js', 'python'], help: 'the language' },
  'a-very-long-flag': { type: 'string', value: '<value>', help: 'below its flag' },
  cache: { type: 'boolean', value: '[=<dir>]', help: 'a memo' },
  'cache-dir': { type: 'string' },
  help: HELP_FLAG,
} as const satisfies Flags;

describe('renderHelp', () => {
  it('shows every flag with a description in one column, its default, and none without one', () => {
    const help = renderHelp({
      usage: 'Usage: rlm x [options]',
      about: 'Does x.',
      sections: [{ title: 'Input:', flags: FLAGS, text: '  and a line as written' }],
      notes: 'Exit codes: 0.',
      column: 24,
    });
    assert.equal(
      help,
      `Usage: rlm x [options]

Does x.

Input:
  -c, --context <file>  the input;
                        repeat it for a list
      --repl <js|python>
                        the language (default js)
      --a-very-long-flag <value>
                        below its flag
      --cache[=<dir>]   a memo
  -h, --help            this help
  and a line as written

Exit codes: 0.`,
    );
  });

  it('puts a blank line between sections when asked', () => {
    const help = renderHelp({
      usage: 'Usage: rlm y',
      sections: [{ title: 'a:', flags: { help: HELP_FLAG } }, { title: 'b:' }],
      column: 14,
      spaced: true,
    });
    assert.equal(help, 'Usage: rlm y\n\na:\n  -h, --help  this help\n\nb:');
  });
});

describe('parseFlags', () => {
  it('reads the flags by their definitions, defaults included, and values that start with a dash', () => {
    const { values, positionals } = parseFlags(['-c', 'a.txt', '--cache', 'the query', '-c', '-3'], FLAGS, 'rlm x', { positionals: true });
    assert.deepEqual({ ...values }, { context: ['a.txt', '-3'], cache: true, repl: 'js' });
    assert.deepEqual(positionals, ['the query']);
  });

  for (const [argv, message] of [
    [['--frob'], 'unknown option --frob (see rlm x --help)'],
    [['--repl'], 'option --repl needs a value (see rlm x --help)'],
    [['stray'], /^Unexpected argument 'stray'.* \(see rlm x --help\)$/],
    [['--repl', 'ruby'], "--repl must be js or python, got 'ruby'"],
  ] as const) {
    it(`refuses ${argv.join(' ')} with one usage line that points at the help`, () => {
      assert.throws(
        () => parseFlags(argv, FLAGS, 'rlm x'),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'RLM_USAGE');
          if (typeof message === 'string') assert.equal(error.message, message);
          else assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});
