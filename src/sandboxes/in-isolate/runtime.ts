/**
 * Realm: inside the V8 isolate (in-isolate/), beside model code. Files here are injected as
 * source text and run with no Node API at all: they must stay self-contained, and may reach the
 * host only through the two callbacks `startCall` and `syncCall`.
 *
 * The REPL's names inside the isolate: `print`, `console`, `llm_query`, `FINAL`, `SHOW_VARS`...
 *
 * `installRuntime` runs inside the isolate, injected as source text, so it must stay
 * self-contained. It receives two plain functions made by isolated-vm's `Callback` (so their
 * `constructor` is the isolate's own `Function`, which reaches nothing of the host) and keeps
 * them in its closure, out of reach of model code. Host calls are started with `startCall` and
 * answered later through the returned `deliver` function, so the isolate never holds a reference
 * to any host object.
 */
export interface RuntimeConfig {
  maxOutputChars: number;
  /** Names of the REPL functions, in the order they are installed. */
  reserved: string[];
  /** Names of the user's tools: async functions that run on the host. */
  tools: string[];
  /** The bounds of limits.ts on text that leaves the isolate, enforced before it is copied out. */
  limits: {
    maxErrorChars: number;
    maxAnswerChars: number;
    maxPromptChars: number;
    maxValueJsonChars: number;
    maxValueDepth: number;
    /** A JSON Schema given to rlm_query, as JSON text. */
    maxSchemaJsonChars: number;
    /** Calls one REPL may have in flight, and waiting beyond them (repl-server.ts holds the same rule). */
    maxCallsInFlight: number;
    maxCallsWaiting: number;
  };
  /** Why a call still pending when its cell ended is rejected (the host drops it when unhandled). */
  endedCall: string;
  /** Different Intl objects (formatters, collators, segmenters) one isolate may make. */
  maxIntlObjects: number;
}

export interface CellOutcome {
  output: string;
  /** Characters printed in all, including those cut. */
  outputChars: number;
  error?: string;
  final?: string;
}

export function installRuntime(
  inspect: (value: unknown) => string,
  startCall: (id: number, name: string, argsJson: string) => void,
  syncCall: (name: string, argsJson: string) => string,
  config: RuntimeConfig,
): unknown {
  const g = globalThis as any;
  // Captured before model code can replace it: new contexts are defined with it between cells.
  const defineGlobal = Object.defineProperty;
  const pending = new Map<number, { name: string; resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const limits = config.limits;
  let nextId = 0;
  let output = '';
  let outputChars = 0;
  let final: string | undefined;
  let accepting = true;
  /** Whether a cell runs: calls are made only then, so no call outlives the cell that made it. */
  let running = false;
  /**
   * The contexts as loaded, in order: `context_0`, `context_1`... They stay reachable under those
   * names whatever a cell does to `context`, which names the newest when it is loaded.
   */
  const contexts: unknown[] = [];

  // No shared memory or blocking waits: a cell must always be interruptible.
  delete g.SharedArrayBuffer;
  delete g.Atomics;
  // WebAssembly memory is allocated outside the V8 heap, so the isolate's memory limit does not
  // count it: `new WebAssembly.Memory(...)` filled 512 MiB of host RAM in a 64 MiB isolate.
  delete g.WebAssembly;

  // Model code may replace `JSON`, give Object.prototype or Array.prototype a `toJSON`, or break
  // `Promise.prototype.then`. Everything the runtime sends to the host is therefore made with
  // built-ins captured here, from strings or objects with no prototype: a `toJSON` on
  // Object.prototype once turned every outcome into `5`, which crashed the host.
  const stringify = JSON.stringify;
  const parseJson = JSON.parse;
  const then = Promise.prototype.then;
  const apply = Reflect.apply;
  // Bounds must hold whatever the cell did to String.prototype: a `slice` returning the whole
  // string would otherwise send it whole.
  const sliceText = String.prototype.slice;
  const toText = String;
  const floor = Math.floor;
  const maxOf = Math.max;
  const codeAt = String.prototype.charCodeAt;
  const head = (text: string, max: number): string => (text.length <= max ? text : (apply(sliceText, text, [0, max]) as string));
  /** 1234567 -> "1,234,567", without Intl or anything the cell may have replaced. */
  const count = (n: number): string => {
    let digits = '' + floor(n);
    let grouped = '';
    while (digits.length > 3) {
      grouped = ',' + apply(sliceText, digits, [digits.length - 3]) + grouped;
      digits = apply(sliceText, digits, [0, digits.length - 3]) as string;
    }
    return digits + grouped;
  };
  // ICU's memory is outside the isolate's heap and its limit: three million Intl.Segmenter
  // objects kept in an array grew a 64 MiB REPL process to 4 GB. Intl objects are immutable, so
  // the same arguments give back the same object, and an isolate makes only so many.
  const intl = g.Intl as Record<string, unknown> | undefined;
  if (intl) {
    let made = 0;
    const made_by = new Map<string, object>();
    const construct = Reflect.construct;
    const defineProperty = Object.defineProperty;
    const undefinedKey = (_key: string, value: unknown) => (value === undefined ? '\u0000undefined' : value);
    for (const name of [
      'Collator',
      'DateTimeFormat',
      'DisplayNames',
      'DurationFormat',
      'ListFormat',
      'Locale',
      'NumberFormat',
      'PluralRules',
      'RelativeTimeFormat',
      'Segmenter',
      'v8BreakIterator',
    ]) {
      const original = intl[name];
      if (typeof original !== 'function') continue;
      const make = (args: unknown[], target: unknown): object => {
        if (made >= config.maxIntlObjects) {
          throw new RangeError(
            'Intl.' +
              name +
              ': this REPL has made ' +
              count(config.maxIntlObjects) +
              ' different Intl objects, its limit (their memory is outside the heap limit); make one and reuse it, or use toLocaleString',
          );
        }
        const object = (
          target === undefined ? apply(original, undefined, args) : construct(original, args, target as () => void)
        ) as object;
        made++;
        return object;
      };
      const wrapped = function (this: unknown, ...args: unknown[]): object {
        // A subclass's `super(...)` makes an object of its own class: not shared, but counted.
        if (new.target !== undefined && new.target !== wrapped) return make(args, new.target);
        let key: string | undefined;
        try {
          key = stringify([name, args], undefinedKey);
        } catch {
          key = undefined; // arguments JSON cannot spell (a Proxy, a BigInt): made afresh, counted
        }
        const known = key === undefined ? undefined : made_by.get(key);
        if (known) return known;
        const object = make(args, new.target);
        if (key !== undefined) made_by.set(key, object);
        return object;
      };
      for (const own of Reflect.ownKeys(original)) {
        if (own !== 'prototype' && own !== 'length' && own !== 'name')
          defineProperty(wrapped, own, Object.getOwnPropertyDescriptor(original, own)!);
      }
      defineProperty(wrapped, 'name', { value: name });
      defineProperty(wrapped, 'length', { value: (original as { length: number }).length });
      const prototype = (original as { prototype: object }).prototype;
      defineProperty(wrapped, 'prototype', { value: prototype, writable: false, enumerable: false, configurable: false });
      defineProperty(prototype, 'constructor', { value: wrapped, writable: true, enumerable: false, configurable: true });
      defineProperty(intl, name, { value: wrapped, writable: true, enumerable: false, configurable: true });
    }
  }

  /** Cuts `text` to `max` characters with a note, as cutError (limits.ts) does; `more` were cut before. */
  const cut = (text: string, max: number, what: string, more = 0): string => {
    const over = text.length > max ? text.length - max : 0;
    if (over + more === 0) return text;
    return head(text, max) + ' [... ' + count(over + more) + ' more characters of this ' + what + ' cut]';
  };

  /** What inspect gave, as a string even if the cell broke the built-ins it uses. */
  const textOf = (shown: unknown): string => (typeof shown === 'string' ? shown : toText(shown));
  const write = (shown: unknown) => {
    if (!accepting) return;
    const text = textOf(shown);
    outputChars += text.length;
    const room = config.maxOutputChars - output.length;
    if (room > 0) output += head(text, room);
  };
  // Piece by piece: joining first copied a 300-million-character argument whole, only to cut it.
  const print = (...args: unknown[]) => {
    for (let i = 0; i < args.length; i++) {
      if (i > 0) write(' ');
      const a = args[i];
      write(typeof a === 'string' ? a : inspect(a));
    }
    write('\n');
  };

  /** Starts a host call; `argsJson` is a JSON array, built from strings by the callers. */
  const call = (name: string, argsJson: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      // Work an ended cell left behind (an unawaited loop, a getter read between cells) would
      // otherwise go on calling the model after the cell's result was reported.
      if (!running) throw new Error(name + ': no cell is running: a call must be made, and awaited, in the cell that needs it');
      // Refused here, not after a trip out of the isolate: a flood of calls past the bound cost
      // some 40 µs each to refuse in the REPL process, a 200,000-call cell tens of seconds.
      if (pending.size >= limits.maxCallsInFlight + limits.maxCallsWaiting) {
        throw new Error(
          'too many calls at once: ' +
            count(limits.maxCallsInFlight) +
            ' in flight and ' +
            count(limits.maxCallsWaiting) +
            ' waiting; wait for some to finish before starting more',
        );
      }
      const id = ++nextId;
      pending.set(id, { name, resolve, reject });
      startCall(id, name, argsJson);
    });

  const asPrompt = (fn: string, prompt: unknown): string => {
    if (typeof prompt === 'string') return prompt;
    if (prompt === undefined || prompt === null) throw new TypeError(fn + ': the prompt must be a string, got ' + prompt);
    if (prompt instanceof Promise) throw new TypeError(fn + ': the prompt is a Promise; await it first');
    // `stringify` gives undefined for an object whose toJSON returns undefined.
    const json = typeof prompt === 'object' ? jsonOf(fn, 'the prompt', prompt) : undefined;
    return typeof json === 'string' ? json : toText(prompt);
  };
  /** JSON text of a value, or a TypeError saying plainly why it has none (cycles, depth...). */
  const jsonOf = (fn: string, what: string, value: unknown): string | undefined => {
    try {
      return stringify(value);
    } catch (error) {
      // V8 overflows its stack on deep values; say so rather than "Maximum call stack size exceeded".
      const deep = error instanceof RangeError && /call stack/i.test(toText(error.message));
      const reason = deep ? 'it is nested too deeply' : error instanceof Error ? toText(error.message) : 'converting it threw';
      throw new TypeError(fn + ': ' + what + ' cannot be sent as JSON: ' + head(reason, 500));
    }
  };
  const boundedPrompt = (fn: string, prompt: unknown): string => {
    const text = asPrompt(fn, prompt);
    if (text.length > limits.maxPromptChars) {
      throw new RangeError(
        fn +
          ': the prompt is ' +
          count(text.length) +
          ' characters, more than the ' +
          count(limits.maxPromptChars) +
          ' allowed; send a part, or split it over several calls',
      );
    }
    return text;
  };
  /** A child's context or a tool's arguments as JSON text, refused when it cannot or may not be sent. */
  const valueJson = (fn: string, what: string, value: unknown): string | undefined => {
    const json = jsonOf(fn, what, value);
    const verb = what === 'its arguments' ? ' are ' : ' is ';
    if (typeof json === 'string' && json.length > limits.maxValueJsonChars) {
      throw new RangeError(
        fn +
          ': ' +
          what +
          verb +
          count(json.length) +
          ' characters of JSON, more than the ' +
          count(limits.maxValueJsonChars) +
          ' allowed; send a part',
      );
    }
    const depth = typeof json === 'string' ? jsonDepth(json) : 0;
    if (depth > limits.maxValueDepth) {
      throw new RangeError(
        fn + ': ' + what + verb + 'nested ' + count(depth) + ' deep, more than the ' + count(limits.maxValueDepth) + ' allowed; flatten it',
      );
    }
    return json;
  };
  /** How deeply JSON text nests arrays and objects, in one pass: the host refuses deeper values. */
  const jsonDepth = (json: string): number => {
    let depth = 0;
    let most = 0;
    let quoted = false;
    for (let i = 0; i < json.length; i++) {
      const c = apply(codeAt, json, [i]) as number;
      if (quoted) {
        if (c === 92)
          i++; // a backslash: skip the escaped character
        else if (c === 34) quoted = false;
      } else if (c === 34) quoted = true;
      else if (c === 123 || c === 91) most = maxOf(most, ++depth);
      else if (c === 125 || c === 93) depth--;
    }
    return most;
  };
  /**
   * The options as JSON text (`{}`, `{"model":"name"}`, `{"model":"name","schema":{...}}`), and
   * whether they hold a schema, which only a child RLM takes (`child`).
   */
  const readOptions = (fn: string, options: unknown, child: boolean): { json: string; schema: boolean } => {
    if (options === undefined || options === null) return { json: '{}', schema: false };
    if (typeof options === 'string') return { json: '{"model":' + stringify(options) + '}', schema: false };
    if (typeof options !== 'object') throw new TypeError(fn + ': options must be an object like { model: "name" }');
    const model = (options as { model?: unknown }).model;
    if (model !== undefined && typeof model !== 'string') throw new TypeError(fn + ': options.model must be a string');
    const schema = (options as { schema?: unknown }).schema;
    const modelJson = model === undefined ? '' : '"model":' + stringify(model);
    if (schema === undefined || schema === null) return { json: '{' + modelJson + '}', schema: false };
    if (!child)
      throw new TypeError(fn + ': options.schema is for rlm_query, whose child RLM answers with a value; llm_query answers with text');
    return { json: '{' + modelJson + (modelJson ? ',' : '') + '"schema":' + schemaJson(fn, schema) + '}', schema: true };
  };
  /** A JSON Schema as JSON text, refused when it is not JSON data or too large to send. */
  const schemaJson = (fn: string, schema: unknown): string => {
    const json = typeof schema === 'object' || typeof schema === 'boolean' ? jsonOf(fn, 'options.schema', schema) : undefined;
    if (typeof json !== 'string' || json === 'null') {
      throw new TypeError(
        fn + ': options.schema must be a JSON Schema written as plain data, like { type: "object", properties: { ... } }',
      );
    }
    if (json.length > limits.maxSchemaJsonChars) {
      throw new RangeError(
        fn +
          ': options.schema is ' +
          count(json.length) +
          ' characters of JSON, more than the ' +
          count(limits.maxSchemaJsonChars) +
          ' allowed',
      );
    }
    const depth = jsonDepth(json);
    if (depth > limits.maxValueDepth) throw new RangeError(fn + ': options.schema is nested ' + count(depth) + ' deep; flatten it');
    return json;
  };
  const asList = (fn: string, prompts: unknown): unknown[] => {
    if (!Array.isArray(prompts)) throw new TypeError(fn + ': expects an array of prompts');
    return prompts;
  };
  const failure = (error: unknown) => 'Error: ' + (error instanceof Error ? error.message : String(error));

  const llm_query = (prompt: unknown, options?: unknown) => {
    try {
      return call(
        'llm_query',
        '[' + stringify(boundedPrompt('llm_query', prompt)) + ',' + readOptions('llm_query', options, false).json + ']',
      ) as Promise<string>;
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const llm_query_batched = async (prompts: unknown, options?: unknown) => {
    const list = asList('llm_query_batched', prompts);
    readOptions('llm_query_batched', options, false);
    // One failed prompt yields an error string in its slot, never a failed batch.
    return Promise.all(list.map((p) => llm_query(p, options).catch(failure)));
  };
  /**
   * Whether rlm_query's second argument is its options rather than a context: a plain object
   * whose one own key is `model`, holding a string, with no third argument. The official
   * rlm_query(prompt, model=...) is written rlm_query(prompt, { model }) here, and that object
   * used to become the child's context. A context that must look like this goes in an array.
   */
  const onlyModel = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    const keys = Reflect.ownKeys(value);
    if (keys.length !== 1 || keys[0] !== 'model') return false;
    const descriptor = Object.getOwnPropertyDescriptor(value, 'model');
    return descriptor !== undefined && typeof descriptor.value === 'string';
  };
  /** A child RLM's answer: text, or with a schema the value itself, sent as JSON. */
  const rlmCall = (fn: string, prompt: unknown, context: unknown, options: unknown): Promise<unknown> => {
    try {
      const text = boundedPrompt(fn, prompt);
      const read = readOptions(fn, options, true);
      const contextJson = context === undefined ? undefined : valueJson(fn, 'the context', context);
      const answer = call('rlm_query', '[' + stringify(text) + ',' + (contextJson ?? 'null') + ',' + read.json + ']');
      return read.schema ? (apply(then, answer, [(json: unknown) => parseJson(json as string)]) as Promise<unknown>) : answer;
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const rlm_query = (prompt: unknown, context?: unknown, options?: unknown) =>
    options === undefined && onlyModel(context)
      ? rlmCall('rlm_query', prompt, undefined, context)
      : rlmCall('rlm_query', prompt, context, options);
  const rlm_query_batched = async (prompts: unknown, contexts?: unknown, options?: unknown) => {
    const list = asList('rlm_query_batched', prompts);
    if (options === undefined && onlyModel(contexts)) {
      options = contexts;
      contexts = undefined;
    }
    readOptions('rlm_query_batched', options, true);
    const ctxs = Array.isArray(contexts) ? contexts : [];
    return Promise.all(list.map((p, i) => rlmCall('rlm_query', p, ctxs[i], options).catch(failure)));
  };
  const budget = () => parseJson(syncCall('budget', '[]'));

  // Own properties only: `in` also found names inherited from Object.prototype, so
  // FINAL_VAR("constructor") answered "[Function: Object]".
  const MAX_NAMES = 1000;
  const hasOwn = (object: object, name: string) => Object.prototype.hasOwnProperty.call(object, name);
  /** The index of a loaded context's name (`context_2` -> 2), else -1. */
  const contextIndex = (name: unknown): number => {
    const match = typeof name === 'string' ? /^context_(0|[1-9]\d{0,8})$/.exec(name) : null;
    const index = match ? Number(match[1]) : -1;
    return index < contexts.length ? index : -1;
  };
  const userNames = () => Object.getOwnPropertyNames(g).filter((n) => !baseline.has(n) && contextIndex(n) < 0);
  const answerText = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (value === undefined) return 'undefined';
    try {
      const json = stringify(value, null, 2);
      if (json !== undefined) return json;
    } catch {
      // not JSON-able (cycles, BigInt): fall through to inspect
    }
    return inspect(value);
  };
  /** The answer as text, refused past MAX_ANSWER_CHARS so the model can answer more briefly. */
  const boundedAnswer = (fn: string, value: unknown): string => {
    const text = answerText(value);
    if (text.length > limits.maxAnswerChars) {
      throw new RangeError(
        fn +
          ': the answer is ' +
          count(text.length) +
          ' characters, more than the ' +
          count(limits.maxAnswerChars) +
          ' allowed; answer more briefly',
      );
    }
    return text;
  };
  const FINAL = (...args: unknown[]) => {
    const value = args[0];
    if (value instanceof Promise) throw new TypeError('FINAL got a Promise: write FINAL(await ...)');
    // FINAL() or FINAL(undefined) used to end the run with the answer "undefined".
    if (value === undefined)
      throw new TypeError('FINAL got no value' + (args.length ? ' (undefined)' : '') + ': call it with your answer, e.g. FINAL(answer)');
    final = boundedAnswer('FINAL', value);
  };
  const FINAL_VAR = (name: unknown) => {
    if (name instanceof Promise) throw new TypeError('FINAL_VAR got a Promise: await it first');
    if (typeof name === 'string' && /^[A-Za-z_$][\w$]*$/.test(name) && hasOwn(g, name) && !baseline.has(name) && contextIndex(name) < 0) {
      if (g[name] === undefined)
        throw new TypeError('FINAL_VAR(' + inspect(name) + '): the variable is undefined; give it your answer first');
      final = boundedAnswer('FINAL_VAR("' + name + '")', g[name]);
      return;
    }
    const index = contextIndex(name);
    if (index >= 0) {
      final = boundedAnswer('FINAL_VAR("' + (name as string) + '")', contexts[index]);
      return;
    }
    // FINAL_VAR(answer) with the variable itself rather than its name: accept a user variable's value.
    if (userNames().some((n) => g[n] === name && n !== 'context')) {
      final = boundedAnswer('FINAL_VAR', name);
      return;
    }
    const known = userNames().filter((n) => n !== 'context');
    throw new ReferenceError(
      'FINAL_VAR(' +
        inspect(name) +
        '): no variable of that name. ' +
        (known.length ? 'Your variables: ' + known.join(', ') : 'You have defined no variables yet') +
        '. Pass the name as a string, e.g. FINAL_VAR("answer"), or call FINAL(value).',
    );
  };
  const describe = (value: unknown): string => {
    if (typeof value === 'string') return 'string, ' + value.length + ' chars';
    if (Array.isArray(value)) return 'Array, ' + value.length + ' items';
    if (value instanceof Map || value instanceof Set) return value.constructor.name + ', ' + value.size + ' items';
    if (typeof value === 'function') return /^class[\s{]/.test(Function.prototype.toString.call(value)) ? 'class' : 'function';
    if (value === null) return 'null';
    if (typeof value === 'object') {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'Object';
      let size = '';
      try {
        size = ', ' + stringify(value).length + ' chars as JSON';
      } catch {
        size = '';
      }
      return name + ', ' + Object.keys(value).length + ' keys' + size;
    }
    if (value === undefined) return 'undefined';
    const shown = inspect(value);
    return typeof value + ' (' + (shown.length > 60 ? shown.slice(0, 60) + '...' : shown) + ')';
  };
  const SHOW_VARS = () => {
    const names = userNames();
    const lines = names.map((n) => '  ' + n + ': ' + describe(g[n]));
    // Each loaded context that `context` does not name: the same value under a second name is not shown twice.
    for (let i = 0; i < contexts.length; i++) {
      if (g.context === contexts[i]) continue;
      const note = contexts.length === 1 ? ' (the context as loaded)' : ' (context ' + i + ' as loaded)';
      lines.push('  context_' + i + ': ' + describe(contexts[i]) + note);
    }
    print(lines.length ? 'Variables:\n' + lines.join('\n') : 'No variables yet (besides context).');
  };

  const consoleObject = Object.freeze({ log: print, info: print, warn: print, error: print, debug: print });
  const api: Record<string, unknown> = {
    print,
    console: consoleObject,
    llm_query,
    llm_query_batched,
    rlm_query,
    rlm_query_batched,
    budget,
    FINAL,
    FINAL_VAR,
    SHOW_VARS,
  };
  for (const name of config.reserved) {
    if (name in api) Object.defineProperty(g, name, { value: api[name], writable: false, enumerable: false, configurable: false });
  }
  // The whole conversation, compacted parts included, read fresh from the host at each access.
  Object.defineProperty(g, 'history', { get: () => parseJson(syncCall('history', '[]')), enumerable: false, configurable: false });
  // Each tool: arguments go to the host as JSON, its result comes back as JSON.
  for (const name of config.tools) {
    const tool = async (...args: unknown[]) => {
      const json = valueJson(name, 'its arguments', args);
      if (typeof json !== 'string') throw new TypeError(name + ': its arguments must be JSON values');
      return parseJson((await call('tool', '[' + stringify(name) + ',' + json + ']')) as string);
    };
    Object.defineProperty(tool, 'name', { value: name });
    Object.defineProperty(g, name, { value: tool, writable: false, enumerable: false, configurable: false });
  }
  // Each context stays reachable when a cell replaces `context`, as the original does in the official REPL.
  const defineContext = (index: number) =>
    defineGlobal(g, 'context_' + index, {
      get: () => contexts[index],
      set: () => {
        throw new TypeError('context_' + index + ' is a context as loaded and cannot be replaced; use another name');
      },
      enumerable: false,
      configurable: false,
    });
  defineContext(0);
  const baseline = new Set(Object.getOwnPropertyNames(g));
  baseline.delete('context');

  const where = (error: Error): string => {
    try {
      const match = /cell\.js:(\d+)/.exec(String(error.stack ?? ''));
      return match ? ' (line ' + match[1] + ')' : '';
    } catch {
      return ''; // an Error.prepareStackTrace set by the cell threw
    }
  };
  // An error's text is cut here, before it leaves the isolate: a 500-million-character message
  // used to be copied whole to the REPL process and on to the host. Parts are cut before they
  // are joined, since cutting a joined string copies it whole first.
  const describeError = (error: unknown): string => {
    const max = limits.maxErrorChars;
    try {
      if (error instanceof Error) {
        const name = error.name;
        const message = error.message;
        const nameText = (typeof name === 'string' ? name : toText(name)) || 'Error';
        const messageText = typeof message === 'string' ? message : toText(message);
        const more = maxOf(0, nameText.length - max) + maxOf(0, messageText.length - max);
        // The stack repeats the name and message: read it only when they are short.
        const line = more === 0 ? where(error) : '';
        return cut(head(nameText, max) + ': ' + head(messageText, max) + line, max, 'error', more);
      }
      if (typeof error === 'string')
        return cut('Uncaught ' + textOf(inspect(head(error, max))), max, 'error', maxOf(0, error.length - max));
      return cut('Uncaught ' + textOf(inspect(error)), max, 'error');
    } catch {
      // A getter or Proxy trap on the thrown value threw in turn; this used to be reported as an
      // unhandled rejection of whatever that second error was.
      return 'Uncaught exception (describing it threw another error)';
    }
  };

  return {
    /** Answers to calls, three items each (id, ok, payload): many at once cost one trip here. */
    deliver(answers: unknown[]) {
      for (let i = 0; i + 2 < answers.length; i += 3) {
        const id = answers[i] as number;
        const entry = pending.get(id);
        if (!entry) continue;
        pending.delete(id);
        if (answers[i + 1] === true) entry.resolve(answers[i + 2]);
        else entry.reject(new Error(toText(answers[i + 2])));
      }
    },
    /** Keeps the context just loaded into `context` as `context_<n>`, the next n; returns n. */
    keepContext(): number {
      const index = contexts.length;
      if (index > 0) defineContext(index);
      contexts[index] = g.context;
      return index;
    },
    /** Ends output for an abandoned cell: whatever it prints later is dropped. */
    abandon() {
      accepting = false;
      running = false;
      return stringify({ __proto__: null, output, outputChars, final });
    },
    /** Rejects every call of the ended cell still pending (the host has aborted them). */
    end() {
      running = false;
      const entries = [...pending.values()];
      pending.clear();
      // One error per function, not per call: a cell may leave hundreds of thousands.
      const errors = new Map<string, Error>();
      for (const entry of entries) {
        let error = errors.get(entry.name);
        if (!error) errors.set(entry.name, (error = new Error(entry.name + ' ' + config.endedCall)));
        entry.reject(error);
      }
    },
    run(start: () => Promise<unknown>) {
      output = '';
      outputChars = 0;
      final = undefined;
      accepting = true;
      running = true;
      let promise: Promise<unknown>;
      try {
        promise = start();
      } catch (error) {
        promise = Promise.reject(error);
      }
      const finish = (value: unknown, error: unknown, failed: boolean): string => {
        if (!failed && value !== undefined && output.length === 0 && final === undefined) write(inspect(value) + '\n');
        const outcome = { __proto__: null, output, outputChars, error: failed ? describeError(error) : undefined, final };
        accepting = false;
        running = false;
        return stringify(outcome);
      };
      return apply(then, promise, [
        (value: unknown) => finish(value, undefined, false),
        (error: unknown) => finish(undefined, error, true),
      ]) as Promise<string>;
    },
    variable(name: string): string {
      const index = contextIndex(name);
      if (index >= 0)
        return stringify({ __proto__: null, found: true, value: cut(answerText(contexts[index]), limits.maxAnswerChars, 'answer') });
      if (!hasOwn(g, name) || (baseline.has(name) && name !== 'context')) {
        // Built by hand: an array would be sent through a `toJSON` the cell put on its prototypes.
        const names = userNames();
        let list = '';
        // The first names only: a cell can define a million globals.
        for (let i = 0; i < names.length && i < MAX_NAMES; i++) list += (i > 0 ? ',' : '') + stringify(head(toText(names[i]), 200));
        return '{"found":false,"names":[' + list + ']}';
      }
      // Read by the host for a FINAL_VAR written outside code, where it cannot be refused.
      return stringify({ __proto__: null, found: true, value: cut(answerText(g[name]), limits.maxAnswerChars, 'answer') });
    },
  };
}
