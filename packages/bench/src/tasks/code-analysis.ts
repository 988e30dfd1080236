/**
 * Static analysis of one JavaScript or TypeScript source file, for code questions: the named
 * functions it defines (where, with how many parameters), the calls each makes, every name it
 * mentions, and the modules it imports. By name only, as a reader of the text would see it: no
 * scopes, no types, no resolution of what a call reaches.
 */
import { parse, type Options } from 'acorn';
import { stripTypeScriptTypes } from 'node:module';

/** A named function: declared, assigned to a name or property, or an object or class method. */
export interface FunctionDefinition {
  name: string;
  /** The file's path, relative to the tree's root, with `/` between folders. */
  file: string;
  /** 1-based line of the name. */
  line: number;
  /** Declared parameters; a rest or destructured parameter counts as one. */
  params: number;
  /** The text before the body (`function f(a, b) `, `(a, b) => `), as written, types included. */
  head: string;
  /** Offsets of the whole definition in the file's text (for `const f = () => ...`, the declarator). */
  start: number;
  end: number;
}

/** A call `name(...)` or `something.name(...)`, made inside `caller` (the innermost named function). */
export interface CallSite {
  caller: FunctionDefinition | undefined;
  callee: string;
}

export interface SourceFile {
  /** Relative to the tree's root, with `/` between folders. */
  path: string;
  /** The text as written (a byte-order mark dropped). */
  text: string;
  definitions: FunctionDefinition[];
  calls: CallSite[];
  /** Offsets of every identifier and property name, by name, except the names of definitions. */
  references: Map<string, number[]>;
  /** Module specifiers imported, required or re-exported, as written. */
  imports: string[];
  /** Names written in TypeScript-only code (types, overloads, `declare`), which the analysis does not see. */
  typeOnlyNames: Set<string>;
}

type EsNode = { type: string; start: number; end: number } & Record<string, unknown>;

const TYPESCRIPT = /\.[cm]?ts$/;

/** Analyses one file; undefined when it cannot be read as JavaScript (or stripped TypeScript). */
export function analyzeSource(path: string, text: string): SourceFile | undefined {
  const code = TYPESCRIPT.test(path) ? stripTypes(text) : text;
  if (code === undefined) return undefined;
  const program = parseProgram(code);
  if (!program) return undefined;
  try {
    return { path, text, ...collect(program, text, path), typeOnlyNames: code === text ? new Set() : typeOnlyNames(text, code) };
  } catch (error) {
    // A pathologically deep tree (thousands of nested expressions) is skipped like a parse failure.
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * TypeScript with its types replaced by spaces (offsets and lines kept), or undefined for syntax
 * that cannot simply be erased (enums, namespaces, parameter properties).
 */
function stripTypes(text: string): string | undefined {
  // Node announces stripTypeScriptTypes as experimental on first use; users of rlm did not ask
  // for it, so that one warning is dropped. The swap is synchronous, so nothing else sees it.
  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'ExperimentalWarning' && String(warning).includes('stripTypeScriptTypes')) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(text, { mode: 'strip' });
  } catch {
    return undefined;
  } finally {
    process.emitWarning = emitWarning;
  }
}

const PARSE_OPTIONS: Options = {
  ecmaVersion: 'latest',
  allowHashBang: true,
  allowReturnOutsideFunction: true,
  allowImportExportEverywhere: true,
  allowAwaitOutsideFunction: true,
  allowSuperOutsideMethod: true,
};

/** As a module first, then as a script (CommonJS files may use sloppy-mode syntax). */
function parseProgram(code: string): EsNode | undefined {
  for (const sourceType of ['module', 'script'] as const) {
    try {
      return parse(code, { ...PARSE_OPTIONS, sourceType }) as unknown as EsNode;
    } catch {
      // try the next way, or give up on the file
    }
  }
  return undefined;
}

function isNode(value: unknown): value is EsNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Visits every node depth first, in source order, with its parent; `leave` after its children. */
function walk(
  node: EsNode,
  parent: EsNode | undefined,
  enter: (node: EsNode, parent: EsNode | undefined) => void,
  leave: (node: EsNode) => void,
): void {
  enter(node, parent);
  for (const key in node) {
    if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const child of value) if (isNode(child)) walk(child, node, enter, leave);
    } else if (isNode(value)) {
      walk(value, node, enter, leave);
    }
  }
  leave(node);
}

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/** A non-computed identifier key or property: its node. */
function plainName(node: unknown, computed: unknown): EsNode | undefined {
  return !computed && isNode(node) && node.type === 'Identifier' ? node : undefined;
}

/** The name a function is defined under, and the node the definition spans. */
function definedName(fn: EsNode, parent: EsNode | undefined): { id: EsNode; span: EsNode } | undefined {
  if (fn.type === 'FunctionDeclaration') return isNode(fn.id) ? { id: fn.id, span: fn } : undefined;
  let id: EsNode | undefined;
  switch (parent?.type) {
    case 'VariableDeclarator':
      if (parent.init === fn) id = plainName(parent.id, false);
      break;
    case 'AssignmentExpression': {
      // exports.f = ..., module.exports.f = ..., Thing.prototype.f = ..., this.f = ...; not `module.exports = ...`
      const left = parent.left;
      const isModuleExports =
        isNode(left) &&
        isNode(left.object) &&
        left.object.type === 'Identifier' &&
        left.object.name === 'module' &&
        plainName(left.property, left.computed)?.name === 'exports';
      if (parent.right === fn && isNode(left) && left.type === 'MemberExpression' && !isModuleExports)
        id = plainName(left.property, left.computed);
      break;
    }
    case 'Property':
      if (parent.value === fn && parent.kind === 'init') id = plainName(parent.key, parent.computed);
      break;
    case 'MethodDefinition':
      if (parent.value === fn && parent.kind === 'method') id = plainName(parent.key, parent.computed);
      break;
    case 'PropertyDefinition':
      if (parent.value === fn) id = plainName(parent.key, parent.computed);
      break;
  }
  if (id && parent) return { id, span: parent };
  // A named function expression passed along (`module.exports = function parse() {}`).
  return fn.type === 'FunctionExpression' && isNode(fn.id) ? { id: fn.id, span: fn } : undefined;
}

function moduleSpecifier(node: EsNode): string | undefined {
  const literal = (value: unknown) =>
    isNode(value) && value.type === 'Literal' && typeof value.value === 'string' ? value.value : undefined;
  switch (node.type) {
    case 'ImportDeclaration':
    case 'ExportNamedDeclaration':
    case 'ExportAllDeclaration':
    case 'ImportExpression':
      return literal(node.source);
    case 'CallExpression': {
      const callee = node.callee;
      const args = node.arguments as unknown[];
      return isNode(callee) && callee.type === 'Identifier' && callee.name === 'require' ? literal(args[0]) : undefined;
    }
  }
  return undefined;
}

function collect(program: EsNode, text: string, path: string): Pick<SourceFile, 'definitions' | 'calls' | 'references' | 'imports'> {
  const lineOf = lineFinder(text);
  const definitions: FunctionDefinition[] = [];
  const calls: CallSite[] = [];
  const identifiers: EsNode[] = [];
  const imports: string[] = [];
  const definitionNames = new Set<number>();
  const enclosing: Array<FunctionDefinition | undefined> = [];
  walk(
    program,
    undefined,
    (node, parent) => {
      if (node.type === 'Identifier') identifiers.push(node);
      const specifier = moduleSpecifier(node);
      if (specifier !== undefined) imports.push(specifier);
      if (node.type === 'CallExpression') {
        const callee = node.callee;
        const name = !isNode(callee)
          ? undefined
          : callee.type === 'Identifier'
            ? callee
            : callee.type === 'MemberExpression'
              ? plainName(callee.property, callee.computed)
              : undefined;
        if (name) calls.push({ caller: enclosing.findLast((d) => d !== undefined), callee: name.name as string });
      }
      if (!FUNCTIONS.has(node.type)) return;
      const named = definedName(node, parent);
      if (!named) {
        enclosing.push(undefined);
        return;
      }
      const name = named.id.name as string;
      definitionNames.add(named.id.start);
      // `exports.parse = function parse() {}`: both names belong to the definition.
      if (isNode(node.id) && node.id.name === name) definitionNames.add(node.id.start);
      const body = node.body as EsNode;
      const definition: FunctionDefinition = {
        name,
        file: path,
        line: lineOf(named.id.start),
        params: (node.params as unknown[]).length,
        head: text.slice(node.start, body.start),
        start: named.span.start,
        end: named.span.end,
      };
      definitions.push(definition);
      enclosing.push(definition);
    },
    (node) => {
      if (FUNCTIONS.has(node.type)) enclosing.pop();
    },
  );
  const references = new Map<string, number[]>();
  const seen = new Set<number>();
  for (const id of identifiers) {
    // A shorthand property (`{ parse }`) is two nodes, key and value, on the same word.
    if (definitionNames.has(id.start) || seen.has(id.start)) continue;
    seen.add(id.start);
    const name = id.name as string;
    const list = references.get(name);
    if (list) list.push(id.start);
    else references.set(name, [id.start]);
  }
  return { definitions, calls, references, imports };
}

/** 1-based line of an offset. */
function lineFinder(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let [lo, hi] = [0, starts.length - 1];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** Words of the original text that the stripping blanked out. */
function typeOnlyNames(original: string, stripped: string): Set<string> {
  const names = new Set<string>();
  for (const match of original.matchAll(/[A-Za-z_$][\w$]*/g)) {
    if (stripped.slice(match.index, match.index + match[0].length).trim() === '') names.add(match[0]);
  }
  return names;
}
