/**
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
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 0;
  let output = '';
  let outputChars = 0;
  let final: string | undefined;
  let accepting = true;

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

  const write = (text: string) => {
    if (!accepting) return;
    outputChars += text.length;
    const room = config.maxOutputChars - output.length;
    if (room > 0) output += text.length <= room ? text : text.slice(0, room);
  };
  const show = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ');
  const print = (...args: unknown[]) => write(show(args) + '\n');

  /** Starts a host call; `argsJson` is a JSON array, built from strings by the callers. */
  const call = (name: string, argsJson: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      startCall(id, name, argsJson);
    });

  const asPrompt = (fn: string, prompt: unknown): string => {
    if (typeof prompt === 'string') return prompt;
    if (prompt === undefined || prompt === null) throw new TypeError(fn + ': the prompt must be a string, got ' + prompt);
    if (prompt instanceof Promise) throw new TypeError(fn + ': the prompt is a Promise; await it first');
    // `stringify` gives undefined for an object whose toJSON returns undefined.
    const json = typeof prompt === 'object' ? stringify(prompt) : undefined;
    return typeof json === 'string' ? json : String(prompt);
  };
  /** The options as JSON text: `{}` or `{"model":"name"}`. */
  const asOptions = (fn: string, options: unknown): string => {
    if (options === undefined || options === null) return '{}';
    if (typeof options === 'string') return '{"model":' + stringify(options) + '}';
    if (typeof options !== 'object') throw new TypeError(fn + ': options must be an object like { model: "name" }');
    const model = (options as { model?: unknown }).model;
    if (model !== undefined && typeof model !== 'string') throw new TypeError(fn + ': options.model must be a string');
    return model === undefined ? '{}' : '{"model":' + stringify(model) + '}';
  };
  const asList = (fn: string, prompts: unknown): unknown[] => {
    if (!Array.isArray(prompts)) throw new TypeError(fn + ': expects an array of prompts');
    return prompts;
  };
  const failure = (error: unknown) => 'Error: ' + (error instanceof Error ? error.message : String(error));

  const llm_query = (prompt: unknown, options?: unknown) => {
    try {
      return call('llm_query', '[' + stringify(asPrompt('llm_query', prompt)) + ',' + asOptions('llm_query', options) + ']') as Promise<string>;
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const llm_query_batched = async (prompts: unknown, options?: unknown) => {
    const list = asList('llm_query_batched', prompts);
    asOptions('llm_query_batched', options);
    // One failed prompt yields an error string in its slot, never a failed batch.
    return Promise.all(list.map((p) => llm_query(p, options).catch(failure)));
  };
  const rlm_query = (prompt: unknown, context?: unknown) => {
    try {
      const contextJson = context === undefined ? undefined : stringify(context);
      return call('rlm_query', '[' + stringify(asPrompt('rlm_query', prompt)) + ',' + (contextJson ?? 'null') + ']') as Promise<string>;
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const rlm_query_batched = async (prompts: unknown, contexts?: unknown) => {
    const list = asList('rlm_query_batched', prompts);
    const ctxs = Array.isArray(contexts) ? contexts : [];
    return Promise.all(list.map((p, i) => rlm_query(p, ctxs[i]).catch(failure)));
  };
  const budget = () => parseJson(syncCall('budget', '[]'));

  // Own properties only: `in` also found names inherited from Object.prototype, so
  // FINAL_VAR("constructor") answered "[Function: Object]".
  const hasOwn = (object: object, name: string) => Object.prototype.hasOwnProperty.call(object, name);
  const userNames = () => Object.getOwnPropertyNames(g).filter((n) => !baseline.has(n));
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
  const FINAL = (...args: unknown[]) => {
    const value = args[0];
    if (value instanceof Promise) throw new TypeError('FINAL got a Promise: write FINAL(await ...)');
    // FINAL() or FINAL(undefined) used to end the run with the answer "undefined".
    if (value === undefined) throw new TypeError('FINAL got no value' + (args.length ? ' (undefined)' : '') + ': call it with your answer, e.g. FINAL(answer)');
    final = answerText(value);
  };
  const FINAL_VAR = (name: unknown) => {
    if (name instanceof Promise) throw new TypeError('FINAL_VAR got a Promise: await it first');
    if (typeof name === 'string' && /^[A-Za-z_$][\w$]*$/.test(name) && hasOwn(g, name) && !baseline.has(name)) {
      if (g[name] === undefined) throw new TypeError('FINAL_VAR(' + inspect(name) + '): the variable is undefined; give it your answer first');
      final = answerText(g[name]);
      return;
    }
    // FINAL_VAR(answer) with the variable itself rather than its name: accept a user variable's value.
    if (userNames().some((n) => g[n] === name && n !== 'context')) {
      final = answerText(name);
      return;
    }
    const known = userNames().filter((n) => n !== 'context');
    throw new ReferenceError(
      'FINAL_VAR(' + inspect(name) + '): no variable of that name. ' +
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
    print(names.length ? 'Variables:\n' + lines.join('\n') : 'No variables yet (besides context).');
  };

  const consoleObject = Object.freeze({ log: print, info: print, warn: print, error: print, debug: print });
  const api: Record<string, unknown> = {
    print, console: consoleObject, llm_query, llm_query_batched, rlm_query, rlm_query_batched,
    budget, FINAL, FINAL_VAR, SHOW_VARS,
  };
  for (const name of config.reserved) {
    if (name in api) Object.defineProperty(g, name, { value: api[name], writable: false, enumerable: false, configurable: false });
  }
  // The whole conversation, compacted parts included, read fresh from the host at each access.
  Object.defineProperty(g, 'history', { get: () => parseJson(syncCall('history', '[]')), enumerable: false, configurable: false });
  // Each tool: arguments go to the host as JSON, its result comes back as JSON.
  for (const name of config.tools) {
    const tool = async (...args: unknown[]) => {
      const json = stringify(args);
      if (typeof json !== 'string') throw new TypeError(name + ': its arguments must be JSON values');
      return parseJson((await call('tool', '[' + stringify(name) + ',' + json + ']')) as string);
    };
    Object.defineProperty(tool, 'name', { value: name });
    Object.defineProperty(g, name, { value: tool, writable: false, enumerable: false, configurable: false });
  }
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
  const describeError = (error: unknown): string => {
    try {
      if (error instanceof Error) return (error.name || 'Error') + ': ' + error.message + where(error);
      return 'Uncaught ' + inspect(error);
    } catch {
      // A getter or Proxy trap on the thrown value threw in turn; this used to be reported as an
      // unhandled rejection of whatever that second error was.
      return 'Uncaught exception (describing it threw another error)';
    }
  };

  return {
    deliver(id: number, ok: boolean, payload: string) {
      const entry = pending.get(id);
      if (!entry) return;
      pending.delete(id);
      if (ok) entry.resolve(payload);
      else entry.reject(new Error(payload));
    },
    /** Ends output for an abandoned cell: whatever it prints later is dropped. */
    abandon() {
      accepting = false;
      return stringify({ __proto__: null, output, outputChars, final });
    },
    run(start: () => Promise<unknown>) {
      output = '';
      outputChars = 0;
      final = undefined;
      accepting = true;
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
        return stringify(outcome);
      };
      return apply(then, promise, [
        (value: unknown) => finish(value, undefined, false),
        (error: unknown) => finish(undefined, error, true),
      ]) as Promise<string>;
    },
    variable(name: string): string {
      if (!hasOwn(g, name) || (baseline.has(name) && name !== 'context')) {
        // Built by hand: an array would be sent through a `toJSON` the cell put on its prototypes.
        const names = userNames();
        let list = '';
        for (let i = 0; i < names.length; i++) list += (i > 0 ? ',' : '') + stringify(String(names[i]));
        return '{"found":false,"names":[' + list + ']}';
      }
      return stringify({ __proto__: null, found: true, value: answerText(g[name]) });
    },
  };
}
