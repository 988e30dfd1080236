/**
 * Shows a value the way Node's REPL and console.log do (`[ 1, 2 ]`, `{ a: 'x' }`, `Map(1) {...}`).
 *
 * This function runs inside the sandbox's isolate, which has no `util.inspect`: it is injected
 * there as source text (`inspect.toString()`), so it must stay self-contained — no imports, no
 * references to anything outside its own body.
 */
export function inspect(
  value: unknown,
  options: { depth?: number; breakLength?: number; maxArrayLength?: number; maxStringLength?: number } = {},
): string {
  const maxDepth = options.depth ?? 2;
  // As Node's default: a 300-million-character string inside a value was quoted whole.
  const maxString = options.maxStringLength ?? 10_000;
  const breakLength = options.breakLength ?? 80;
  const maxItems = options.maxArrayLength ?? 100;
  const seen: object[] = [];

  const quote = (s: string): string => {
    const q = !s.includes("'") ? "'" : !s.includes('"') ? '"' : !s.includes('`') ? '`' : "'";
    const escaped = s
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\t/g, '\\t')
      .replace(/\r/g, '\\r')
      .split(q)
      .join('\\' + q);
    return q + escaped + q;
  };

  const keyOf = (key: string | symbol): string => {
    if (typeof key === 'symbol') return '[' + key.toString() + ']';
    return /^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key);
  };

  const functionLabel = (fn: { readonly name: string }): string => {
    const source = Function.prototype.toString.call(fn);
    if (/^class[\s{]/.test(source)) return '[class ' + (fn.name || '(anonymous)') + ']';
    const kind = fn.constructor?.name && fn.constructor.name !== 'Function' ? fn.constructor.name : 'Function';
    return '[' + kind + (fn.name ? ': ' + fn.name : ' (anonymous)') + ']';
  };

  /** `more` is a closing "... N more items" line, kept out of the column widths. */
  const wrap = (prefix: string, items: string[], open: string, close: string, indent: number, dense: boolean, more?: string): string => {
    const all = more === undefined ? items : [...items, more];
    if (all.length === 0) return prefix + open + close;
    const single = prefix + open + ' ' + all.join(', ') + ' ' + close;
    const start = indent * 2;
    if (single.length + start <= breakLength && !single.includes('\n')) return single;
    const pad = ' '.repeat(start + 2);
    if (dense && items.every((i) => !i.includes('\n'))) {
      // Many short items (numbers, short strings): pack them into rows, as Node does.
      const width = Math.max(...items.map((i) => i.length)) + 2;
      const perRow = Math.max(1, Math.min(16, Math.floor((breakLength - start - 2) / width)));
      const rows: string[] = [];
      for (let i = 0; i < items.length; i += perRow) {
        const last = i + perRow >= items.length && more === undefined;
        rows.push(
          pad +
            items
              .slice(i, i + perRow)
              .map((item, j, row) => (j === row.length - 1 && last ? item : (item + ',').padEnd(width)))
              .join('')
              .trimEnd(),
        );
      }
      if (more !== undefined) rows.push(pad + more);
      return prefix + open + '\n' + rows.join('\n') + '\n' + ' '.repeat(start) + close;
    }
    return prefix + open + '\n' + all.map((i) => pad + i).join(',\n') + '\n' + ' '.repeat(start) + close;
  };

  const format = (v: unknown, depth: number, nested: boolean): string => {
    switch (typeof v) {
      case 'string':
        if (!nested) return v;
        return v.length <= maxString
          ? quote(v)
          : quote(v.slice(0, maxString)) + '... ' + (v.length - maxString) + ' more character' + (v.length - maxString > 1 ? 's' : '');
      case 'number':
        return Object.is(v, -0) ? '-0' : String(v);
      case 'bigint':
        return String(v) + 'n';
      case 'boolean':
      case 'undefined':
        return String(v);
      case 'symbol':
        return v.toString();
      case 'function': {
        const label = functionLabel(v);
        const keys = Object.keys(v);
        if (keys.length === 0 || depth > maxDepth) return label;
        return wrap(
          label + ' ',
          keys.map((k) => keyOf(k) + ': ' + format((v as any)[k], depth + 1, true)),
          '{',
          '}',
          depth,
          false,
        );
      }
    }
    if (v === null) return 'null';
    const obj = v as object;
    if (seen.includes(obj)) return '[Circular]';
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof RegExp) return obj.toString();
    if (obj instanceof Error)
      return obj.stack && obj.stack.startsWith(obj.name)
        ? obj.stack.split('\n').slice(0, 4).join('\n')
        : '[' + obj.name + ': ' + obj.message + ']';
    if (obj instanceof Promise) return 'Promise { <not awaited> }';
    if (obj instanceof WeakMap || obj instanceof WeakSet) return obj.constructor.name + ' { <items unknown> }';
    const ctor = (obj as { constructor?: { name?: string } }).constructor;
    const proto = Object.getPrototypeOf(obj);
    const name = proto === null ? '[Object: null prototype]' : typeof ctor?.name === 'string' ? ctor.name : 'Object';

    if (Array.isArray(obj) || ArrayBuffer.isView(obj)) {
      const list = obj as unknown as ArrayLike<unknown>;
      const isArray = Array.isArray(obj);
      const prefix = isArray ? (name === 'Array' ? '' : name + '(' + list.length + ') ') : name + '(' + list.length + ') ';
      if (depth > maxDepth) return isArray ? '[Array]' : '[' + name + ']';
      seen.push(obj);
      const items: string[] = [];
      const shown = Math.min(list.length, maxItems);
      let allShort = true;
      for (let i = 0; i < shown; i++) {
        const item = i in (list as object) ? format(list[i], depth + 1, true) : '<empty>';
        if (item.length > 16 || typeof list[i] === 'object') allShort = false;
        items.push(item);
      }
      // Kept apart from the items: counted among them, its length set the width of every column.
      const more = list.length > shown ? '... ' + (list.length - shown) + ' more item' + (list.length - shown > 1 ? 's' : '') : undefined;
      seen.pop();
      return wrap(prefix, items, '[', ']', depth, allShort && items.length > 6, more);
    }
    if (obj instanceof Map || obj instanceof Set) {
      const label = name + '(' + obj.size + ') ';
      if (depth > maxDepth) return '[' + name + ']';
      seen.push(obj);
      const items: string[] = [];
      let count = 0;
      for (const entry of obj instanceof Map ? obj.entries() : obj.values()) {
        if (count++ >= maxItems) {
          items.push('... ' + (obj.size - maxItems) + ' more items');
          break;
        }
        items.push(
          obj instanceof Map
            ? format((entry as [unknown, unknown])[0], depth + 1, true) + ' => ' + format((entry as [unknown, unknown])[1], depth + 1, true)
            : format(entry, depth + 1, true),
        );
      }
      seen.pop();
      return wrap(label, items, '{', '}', depth, false);
    }
    if (depth > maxDepth) return name === 'Object' ? '[Object]' : '[' + name + ']';
    seen.push(obj);
    const keys: Array<string | symbol> = [
      ...Object.keys(obj),
      ...Object.getOwnPropertySymbols(obj).filter((s) => Object.prototype.propertyIsEnumerable.call(obj, s)),
    ];
    const items: string[] = [];
    for (const key of keys.slice(0, maxItems)) {
      const descriptor = Object.getOwnPropertyDescriptor(obj, key);
      const shown =
        descriptor && 'value' in descriptor
          ? format(descriptor.value, depth + 1, true)
          : descriptor?.get && descriptor.set
            ? '[Getter/Setter]'
            : descriptor?.get
              ? '[Getter]'
              : '[Setter]';
      items.push(keyOf(key) + ': ' + shown);
    }
    if (keys.length > maxItems) items.push('... ' + (keys.length - maxItems) + ' more properties');
    seen.pop();
    return wrap(name === 'Object' ? '' : name + ' ', items, '{', '}', depth, false);
  };

  return format(value, 0, false);
}
