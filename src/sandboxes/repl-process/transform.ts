/**
 * Turns one REPL cell into a script whose top-level bindings outlive the cell.
 *
 * A cell runs inside `(async () => { ... })()` so that top-level `await` works. Declarations at
 * the top of the cell would then be local to that function, so they are rewritten as assignments
 * to global variables, declared once with `var` outside the function:
 *   `const { a, b: [c] } = x`  ->  `;({ a, b: [c] } = x)`
 *   `class C {}`               ->  `;C = class C {}`
 *   `function f() {}`          stays, plus `globalThis.f = f` at the top (declarations hoist)
 * The last top-level expression becomes the cell's value, as in Node's REPL.
 * Edits are made in place, so line numbers in errors still match the model's code.
 */
import { parse, type Node, type Pattern, type Program, type Statement } from 'acorn';

export interface TransformedCell {
  /**
   * Script text to compile. It evaluates to a function that starts the cell and returns a
   * Promise of its last value, so the caller decides when (and under which limits) it starts.
   */
  script: string;
  /** Names the cell declares at top level. */
  declared: string[];
}

export class CellSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyntaxError';
  }
}

interface Edit {
  at: number;
  /** Characters replaced from `at` (0 for an insertion). */
  length: number;
  text: string;
}

/**
 * @param reserved names the REPL provides (`context`, `llm_query`...), which a cell may not
 *   redeclare; reassigning `context` is allowed, shadowing a built-in function is not.
 */
export function transformCell(code: string, reserved: ReadonlySet<string>): TransformedCell {
  let program: Program;
  try {
    program = parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowAwaitOutsideFunction: true });
  } catch (error) {
    const e = error as Error & { loc?: { line: number; column: number } };
    const message = e.message.replace(/\s*\(\d+:\d+\)$/, '');
    throw new CellSyntaxError(e.loc ? `${message} (line ${e.loc.line}, column ${e.loc.column + 1})` : message);
  }

  const edits: Edit[] = [];
  const declared: string[] = [];
  const functions: string[] = [];
  const body = program.body;

  for (const statement of body) {
    if (statement.type === 'VariableDeclaration') {
      const names = statement.declarations.flatMap((d) => patternNames(d.id));
      declared.push(...names);
      const keyword = statement.kind;
      edits.push({ at: statement.start, length: keyword.length, text: ';(' });
      for (const declarator of statement.declarations) {
        // `var x;` must not reset x; `let x;` starts it as undefined, as a fresh binding would.
        if (!declarator.init && keyword !== 'var') edits.push({ at: declarator.id.end, length: 0, text: ' = undefined' });
      }
      const initialised = statement.declarations.filter((d) => d.init || keyword !== 'var');
      if (initialised.length === 0) {
        // Nothing to assign: neutralise the whole statement but keep the name declared.
        edits.length -= 1;
        edits.push({ at: statement.start, length: statement.end - statement.start, text: ';' });
        continue;
      }
      if (initialised.length !== statement.declarations.length) {
        // Mixed `var a, b = 1`: drop the bare names from the assignment list.
        edits.pop();
        edits.push({ at: statement.start, length: statement.end - statement.start, text: rebuildVar(code, initialised) });
        continue;
      }
      const last = statement.declarations[statement.declarations.length - 1]!;
      edits.push({ at: last.end, length: 0, text: ')' });
    } else if (statement.type === 'ClassDeclaration' && statement.id) {
      declared.push(statement.id.name);
      edits.push({ at: statement.start, length: 0, text: `;${statement.id.name} = ` });
      edits.push({ at: statement.end, length: 0, text: ';' });
    } else if (statement.type === 'FunctionDeclaration' && statement.id) {
      declared.push(statement.id.name);
      functions.push(statement.id.name);
    }
  }

  for (const name of declared) {
    // `context_<n>` too: a context loaded later takes that name, which a declaration would hold.
    if ((reserved.has(name) || /^context_\d+$/.test(name)) && name !== 'context') {
      throw new CellSyntaxError(`'${name}' is a built-in of this REPL and cannot be redeclared; choose another name`);
    }
  }

  const lastValue = lastExpression(body);
  if (lastValue) {
    // From the statement's start, not the expression's: acorn starts `({ a: 1 })`'s expression
    // inside its parentheses, which made `(return ({ a: 1 }))`, a syntax error.
    edits.push({ at: lastValue.start, length: 0, text: 'return (' });
    edits.push({ at: lastValue.expression.end, length: 0, text: ')' });
  }

  const rewritten = applyEdits(code, edits);
  const unique = [...new Set(declared)];
  const prelude = unique.length > 0 ? `var ${unique.join(', ')};` : '';
  const exportFunctions = functions.map((f) => `globalThis[${JSON.stringify(f)}] = ${f};`).join(' ');
  // Everything before the user's first line stays on line 1, so error lines match.
  const script = `${prelude}(() => (async () => {${exportFunctions}${rewritten}\n})())`;
  return { script, declared: unique };
}

function rebuildVar(code: string, declarators: Array<{ id: Pattern; init?: Node | null }>): string {
  const parts = declarators.map((d) => code.slice(d.id.start, d.init ? d.init.end : d.id.end));
  return `;(${parts.join(', ')});`;
}

function lastExpression(body: Statement[] | Program['body']): (Node & { expression: Node }) | undefined {
  const last = body[body.length - 1];
  if (last?.type !== 'ExpressionStatement') return undefined;
  return last;
}

/** The names bound by a declaration's pattern: `{ a, b: [c, ...d] }` -> a, c, d. */
export function patternNames(pattern: Pattern): string[] {
  switch (pattern.type) {
    case 'Identifier':
      return [pattern.name];
    case 'ObjectPattern':
      return pattern.properties.flatMap((p) => (p.type === 'RestElement' ? patternNames(p.argument) : patternNames(p.value)));
    case 'ArrayPattern':
      return pattern.elements.flatMap((e) => (e ? patternNames(e) : []));
    case 'RestElement':
      return patternNames(pattern.argument);
    case 'AssignmentPattern':
      return patternNames(pattern.left);
    default:
      return [];
  }
}

function applyEdits(code: string, edits: Edit[]): string {
  // Stable order: by position, insertions before replacements at the same place.
  const sorted = edits.map((e, i) => ({ ...e, i })).sort((a, b) => a.at - b.at || a.i - b.i);
  let out = '';
  let cursor = 0;
  for (const edit of sorted) {
    out += code.slice(cursor, edit.at) + edit.text;
    cursor = edit.at + edit.length;
  }
  return out + code.slice(cursor);
}
