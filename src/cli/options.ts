/**
 * A command's flags, each defined once (name, type, short form, value name, description,
 * default): `parseArgs` reads the arguments by the same definitions that `--help` is written
 * from, so the help cannot leave out a flag or name one that is gone. And the one way every
 * command parses its arguments and refuses a mistake.
 */
import { parseArgs } from 'node:util';
import { negativeValuesAttached, usageError } from './flags.ts';

/** One flag. `parseArgs` takes it as it is (it reads `type`, `short`, `multiple`, `default`). */
export interface Flag {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** The value when the flag is not given; the help adds `(default …)` to the description. */
  readonly default?: string;
  /** The only values it takes: another is refused, `--repl must be js or python, got 'ruby'`. */
  readonly choices?: readonly string[];
  /** How the help names the value: `<file|->` after the flag, or `[=<dir>]` joined to it. */
  readonly value?: string;
  /**
   * What the flag does, for the help; each `\n` starts a line under the first. Without it the flag
   * is not shown: a spelling the parser needs that users do not type.
   */
  readonly help?: string;
}

/** A command's flags by their long names (`max-cost` is `--max-cost`). */
export type Flags = Readonly<Record<string, Flag>>;

/** `-h, --help`, which every command takes. */
export const HELP_FLAG = { type: 'boolean', short: 'h', help: 'this help' } as const satisfies Flag;

/** A group of lines in a command's help: a heading, flags, then text. */
export interface HelpSection {
  /** A heading, e.g. `Model:`. */
  readonly title?: string;
  readonly flags?: Flags;
  /** Lines shown as written, after the flags. */
  readonly text?: string;
}

/** A command's help: what {@link renderHelp} writes out. */
export interface CommandHelp {
  /** The first line or lines: `Usage: rlm ask [options] "<query>"`. */
  readonly usage: string;
  /** The paragraph after the usage. */
  readonly about?: string;
  readonly sections: readonly HelpSection[];
  /** The paragraph after the flags. */
  readonly notes?: string;
  /** The column at which the flags' descriptions start. */
  readonly column: number;
  /** A blank line between sections (one command with subcommands), or none (groups of one list). */
  readonly spaced?: boolean;
}

/** The `--help` text of a command, made from its flags' definitions. */
export function renderHelp(help: CommandHelp): string {
  const sections = help.sections.map((section) => {
    const flags = Object.entries(section.flags ?? {}).flatMap(([name, flag]) => flagLines(name, flag, help.column));
    return [...(section.title === undefined ? [] : [section.title]), ...flags, ...(section.text === undefined ? [] : [section.text])].join(
      '\n',
    );
  });
  return [help.usage, help.about, sections.join(help.spaced ? '\n\n' : '\n'), help.notes]
    .filter((block) => block !== undefined)
    .join('\n\n');
}

/** `  -c, --context <file|->   the input; …`, its description at `column`, below the flag when that is too long. */
function flagLines(name: string, flag: Flag, column: number): string[] {
  if (flag.help === undefined) return [];
  const value = flag.value === undefined ? '' : /^[[=]/.test(flag.value) ? flag.value : ` ${flag.value}`;
  const head = `  ${flag.short ? `-${flag.short}, ` : '    '}--${name}${value}`;
  const [first = '', ...rest] = (flag.default === undefined ? flag.help : `${flag.help} (default ${flag.default})`).split('\n');
  const indent = ' '.repeat(column);
  const lines = head.length < column ? [`${head.padEnd(column)}${first}`] : [head, `${indent}${first}`];
  return [...lines, ...rest.map((line) => `${indent}${line}`)];
}

type Parsed<F extends Flags, P extends boolean> = ReturnType<typeof parseArgs<{ options: F; allowPositionals: P; strict: true }>>;
/** A flag with `choices` is typed as one of them. */
type Chosen<F extends Flags, V> = {
  [K in keyof V]: K extends keyof F ? (F[K] extends { readonly choices: readonly (infer C)[] } ? Exclude<V[K], string> | C : V[K]) : V[K];
};
type ParsedFlags<F extends Flags, P extends boolean> = Omit<Parsed<F, P>, 'values'> & { values: Chosen<F, Parsed<F, P>['values']> };

/**
 * Reads `argv` by the command's flags, strictly. A mistake (an unknown flag, a missing value, a
 * word where none is taken) is one RLM_USAGE line that points at `<command> --help`.
 */
export function parseFlags<F extends Flags, P extends boolean = false>(
  argv: readonly string[],
  flags: F,
  command: string,
  options: { positionals?: P } = {},
): ParsedFlags<F, P> {
  let parsed: Parsed<F, P>;
  try {
    parsed = parseArgs({
      args: negativeValuesAttached(argv, flags),
      options: flags,
      allowPositionals: (options.positionals ?? false) as P,
      strict: true,
    });
  } catch (error) {
    throw usageError(`${describeParseError(error)} (see ${command} --help)`);
  }
  const values = parsed.values as Record<string, unknown>;
  for (const [name, flag] of Object.entries(flags)) {
    const value = values[name];
    if (!flag.choices || typeof value !== 'string' || flag.choices.includes(value)) continue;
    throw usageError(`--${name} must be ${flag.choices.slice(0, -1).join(', ')} or ${flag.choices.at(-1)}, got '${value}'`);
  }
  return parsed as ParsedFlags<F, P>;
}

/** parseArgs' complaint in a few words: `unknown option --frob`, `option --model needs a value`. */
function describeParseError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  // Node names it as `'-m, --model <value>'`: the long name says it.
  const quoted = /'(-[^']*)'/.exec(message)?.[1];
  const option = quoted?.match(/--[\w-]+/)?.[0] ?? quoted?.split(/[ ,]/)[0];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option && /argument missing/.test(message))
    return `option ${option} needs a value`;
  return message.split('\n')[0]!;
}
