/**
 * Escapes only the Python REPL can try: Pyodide gives Python ways to JavaScript (`import js`,
 * `pyodide_js`, `pyodide.ffi`, the `_pyodide_core` built-in, dynamic libraries) and CPython has
 * its own ways to the host (os, socket, subprocess, ctypes...). Every attempt must fail, and no
 * secret of this (host) process may ever show in what a cell reports. The escapes common to
 * every language are in ../conformance.test.ts.
 *
 * An attempt that succeeds is not weakened here: it is marked `todo` with what happened, so that
 * it is listed on every run until the sandbox refuses it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PythonSandbox } from '../../../src/sandboxes/host/python-sandbox.ts';
import type { CellResult, Sandbox } from '../../../src/sandboxes/sandbox.ts';
import { runOk, sharedSandbox, sleep } from '../support.ts';

after(() => PythonSandbox.coolDown());

/** Secrets of this (host) process, set before any REPL process starts. */
const ENV_SECRET = `sk-rlm-env-${process.pid}-${Math.random().toString(36).slice(2)}`;
process.env.RLM_TEST_SECRET = ENV_SECRET;
const FILE_SECRET = `sk-rlm-file-${process.pid}-${Math.random().toString(36).slice(2)}`;
const secretDir = mkdtempSync(join(tmpdir(), 'rlm-python-escapes-'));
const secretFile = join(secretDir, 'secret.txt');
writeFileSync(secretFile, FILE_SECRET, { mode: 0o600 });
after(() => {
  rmSync(secretDir, { recursive: true, force: true });
  delete process.env.RLM_TEST_SECRET;
});

/** The root of Pyodide's in-memory file system, and nothing of the host's. */
const VIRTUAL_ROOT = ['dev', 'home', 'lib', 'proc', 'rlm-context', 'tmp'];
const ENVIRONMENT_NAMES = ['HOME', 'LANG', 'LOGNAME', 'PATH', 'PWD', 'USER'];

interface Attempt {
  name: string;
  code: string;
  /** The error the cell must report. */
  refused?: RegExp;
  /** What the cell must print instead (an attempt that reports what it found). */
  output?: RegExp | string;
  /** Set when the attempt succeeds today: what it reached. */
  todo?: string;
}

function assertNoLeak(result: CellResult, what: string): void {
  for (const text of [result.output, result.error ?? '', result.final ?? '']) {
    assert.ok(!text.includes(ENV_SECRET), `${what}: the environment secret leaked`);
    assert.ok(!text.includes(FILE_SECRET), `${what}: the file secret leaked`);
    assert.doesNotMatch(text, /reached JavaScript/, `${what}: reached JavaScript`);
  }
}

/** The attempt in a function of its own, so that nothing it makes is left among the variables. */
function isolated(code: string): string {
  return `def _attempt():\n${code.replace(/^/gm, '    ')}\n_attempt()`;
}

async function tryAttempt(sandbox: Sandbox, attempt: Attempt): Promise<CellResult> {
  const result = await sandbox.run(isolated(attempt.code));
  assertNoLeak(result, attempt.name);
  if (attempt.refused) assert.match(result.error ?? `(no error; printed ${JSON.stringify(result.output)})`, attempt.refused, attempt.name);
  if (attempt.output !== undefined) {
    assert.equal(result.error, undefined, attempt.name);
    if (typeof attempt.output === 'string') assert.equal(result.output, attempt.output, attempt.name);
    else assert.match(result.output, attempt.output, attempt.name);
  }
  return result;
}

function attempts(sandbox: () => Sandbox, list: Attempt[]): void {
  for (const attempt of list) {
    it(attempt.name, attempt.todo ? { todo: attempt.todo } : {}, async () => {
      await tryAttempt(sandbox(), attempt);
    });
  }
}

const notAvailable = (module: string) => new RegExp(`^ImportError: module '${module}' is not available in this REPL`);

/** Walks every class, as model code can, to find Pyodide's own. */
const PYODIDE_CLASSES = `
def _subclasses(c, seen):
    for s in type.__subclasses__(c):
        if s not in seen:
            seen.add(s)
            yield s
            yield from _subclasses(s, seen)
pyodide_classes = [c for c in _subclasses(object, set()) if 'Js' in c.__name__ or 'pyodide' in str(getattr(c, '__module__', ''))]
proxy_classes = tuple(c for c in pyodide_classes if c.__name__ == 'JsProxy')
import types as _types
def is_javascript(value):
    if isinstance(value, proxy_classes):
        return True
    return isinstance(value, _types.ModuleType) and value.__name__.split('.')[0] in ('js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip')
`;

/** A server on the host that no cell may ever connect to. */
let connections = 0;
const server: Server = createServer((socket) => {
  connections++;
  socket.destroy();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
after(() => server.close());
const port = (server.address() as { port: number }).port;

describe('Python REPL escapes', () => {
  const shared = sharedSandbox('python', {
    context: 'the context text',
    bridge: { tools: { lookup: (id) => ({ id }) } },
  });
  const sandbox = () => shared.sandbox;

  before(async () => {
    await runOk(shared.sandbox, 'survivor = "alive"');
  });

  describe('no way to JavaScript', () => {
    attempts(sandbox, [
      { name: 'import js', code: 'import js\njs.process', refused: notAvailable('js') },
      { name: 'from js import eval', code: 'from js import eval as js_eval\njs_eval("process")', refused: notAvailable('js') },
      { name: 'import pyodide_js', code: 'import pyodide_js\npyodide_js._module', refused: notAvailable('pyodide_js') },
      { name: 'import pyodide', code: 'import pyodide\npyodide.code.run_js("process")', refused: notAvailable('pyodide') },
      {
        name: 'from pyodide.ffi import to_js',
        code: 'from pyodide.ffi import to_js\nto_js({})',
        refused: notAvailable('pyodide(\\.ffi)?'),
      },
      {
        name: 'from pyodide.code import run_js',
        code: 'from pyodide.code import run_js\nrun_js("process")',
        refused: notAvailable('pyodide(\\.code)?'),
      },
      { name: 'import _pyodide_core', code: 'import _pyodide_core\n_pyodide_core.to_js({})', refused: notAvailable('_pyodide_core') },
      { name: 'import _pyodide', code: 'import _pyodide', refused: notAvailable('_pyodide') },
      { name: 'import micropip', code: 'import micropip', refused: notAvailable('micropip') },
      { name: "__import__('js')", code: '__import__("js")', refused: notAvailable('js') },
      {
        name: 'builtins.__import__ of pyodide_js',
        code: 'import builtins\nbuiltins.__import__("pyodide_js")',
        refused: notAvailable('pyodide_js'),
      },
      {
        name: "importlib.import_module('js')",
        code: 'import importlib\nimportlib.import_module("js")',
        refused: /^(ModuleNotFoundError|ImportError): /,
      },
      {
        name: 'importlib.import_module of every JavaScript module',
        code: `import importlib
imported = []
for name in ("js", "pyodide_js", "pyodide", "pyodide.ffi", "pyodide.code", "_pyodide", "_pyodide._importhook", "_pyodide_core", "micropip"):
    try:
        imported.append(repr(importlib.import_module(name)))
    except Exception:
        pass
print("imported:", imported)`,
        output: 'imported: []\n',
      },
      {
        name: 'sys.modules lookups for js, pyodide and _pyodide_core',
        code: `import sys
print("found:", [n for n in ("js", "pyodide_js", "pyodide", "pyodide.ffi", "_pyodide", "_pyodide._importhook", "_pyodide_core") if sys.modules.get(n) is not None]
      + [n for n in sys.modules if "pyodide" in n or n == "js"])`,
        output: 'found: []\n',
      },
      {
        name: 'a fake _pyodide_core planted in sys.modules does not let pyodide import',
        code: `import sys, types, importlib
sys.modules["_pyodide_core"] = types.ModuleType("_pyodide_core")
try:
    importlib.import_module("pyodide.ffi")
finally:
    del sys.modules["_pyodide_core"]`,
        refused: /^ImportError: module '_?pyodide[\w.]*' is not available in this REPL/,
      },
      {
        name: 'Pyodide finders put back on sys.meta_path find nothing',
        code: `import sys, importlib
${PYODIDE_CLASSES}
saved = sys.meta_path[:]
finders = [c for c in pyodide_classes if c.__name__ in ("JsFinder", "WindowsToLinuxPathFinder")]
got = []
for finder in finders:
    try:
        sys.meta_path[:] = [finder(), *saved]
    except Exception:
        sys.meta_path[:] = [finder, *saved]
    try:
        for name in ("js", "pyodide_js"):
            try:
                got.append(repr(importlib.import_module(name)))
            except Exception:
                pass
    finally:
        sys.meta_path[:] = saved
print("imported:", got)`,
        output: /imported: \[\]\n$/,
      },
      {
        name: 'importlib.util: spec_from_file_location on the pyodide package under site-packages',
        code: `import importlib.util
spec = importlib.util.spec_from_file_location("pyodide", "/lib/python3.14/site-packages/pyodide/__init__.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.ffi.to_js({})`,
        refused: /^FileNotFoundError: /,
      },
      {
        name: 'importlib.util: the pyodide package executed from the standard library zip under another name',
        code: `import importlib.util, zipimport
loader = zipimport.zipimporter("/lib/python314.zip/")
spec = importlib.util.spec_from_loader("pyodide", loader, is_package=True)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)`,
        refused: /^ImportError: module '_?pyodide[\w.]*' is not available in this REPL/,
      },
      {
        name: "exec of pyodide.ffi's source read from the zip",
        code: `import zipfile
source = zipfile.ZipFile("/lib/python314.zip").read("pyodide/ffi/__init__.py")
namespace = {"__name__": "ffi_copy"}
exec(source, namespace)
namespace["to_js"]({})`,
        refused: /^ImportError: module '_?pyodide[\w.]*' is not available in this REPL/,
      },
      {
        name: "a fresh copy of Pyodide's import hook finds no JavaScript module",
        code: `import zipfile
source = zipfile.ZipFile("/lib/python314.zip").read("_pyodide/_importhook.py").decode()
source = source.replace("from ._core_docs import JsProxy", "JsProxy = object")
hook = {"__name__": "hook_copy"}
exec(source, hook)
finder = hook["JsFinder"]()
print(finder.find_spec("js", None), finder.find_spec("pyodide_js", None))`,
        output: 'None None\n',
      },
      {
        name: '_imp.create_builtin for _pyodide_core',
        code: `import _imp, importlib.machinery
core = _imp.create_builtin(importlib.machinery.ModuleSpec("_pyodide_core", None))
core.to_js({})`,
        refused: /^(ImportError|PermissionError): .*(_pyodide_core|create_builtin).* is not available in this REPL/,
      },
      {
        name: 'BuiltinImporter.create_module for _pyodide_core',
        code: `import importlib.machinery
importlib.machinery.BuiltinImporter.create_module(importlib.machinery.ModuleSpec("_pyodide_core", None))`,
        refused: /^(ImportError|PermissionError): .*(_pyodide_core|create_builtin).* is not available in this REPL/,
      },
      {
        name: 'the original _imp.create_builtin out of its replacement (closure, globals, defaults)',
        code: `import _imp, importlib.machinery
refused = _imp.create_builtin
candidates = [c.cell_contents for c in (getattr(refused, "__closure__", None) or ())]
candidates += list(getattr(refused, "__defaults__", None) or ())
candidates += [v for v in getattr(refused, "__globals__", {}).values() if callable(v)]
core = None
for candidate in candidates:
    if getattr(candidate, "__name__", "") == "create_builtin" and candidate is not refused:
        try:
            core = candidate(importlib.machinery.ModuleSpec("_pyodide_core", None))
        except Exception:
            pass
if core is not None:
    print("reached JavaScript:", core.to_js({}).constructor.constructor("return typeof process")())
print("core:", core)`,
        output: 'core: None\n',
      },
      {
        name: "object.__subclasses__(): Pyodide's classes hold no JavaScript in __globals__, closures, defaults or attributes",
        code: `${PYODIDE_CLASSES}
import types
found, seen = [], set()
def look(where, value, depth=0):
    if id(value) in seen or depth > 4:
        return
    seen.add(id(value))
    if is_javascript(value):
        found.append(where)
    if isinstance(value, types.FunctionType):
        for i, cell in enumerate(value.__closure__ or ()):
            try:
                look(where + ".closure", cell.cell_contents, depth + 1)
            except ValueError:
                pass
        for d in (value.__defaults__ or ()):
            look(where + ".default", d, depth + 1)
        for k, d in (value.__kwdefaults__ or {}).items():
            look(where + ".kwdefault", d, depth + 1)
        for k, d in list(value.__globals__.items()):
            look(where + ".__globals__." + k, d, depth + 1)
    elif isinstance(value, (classmethod, staticmethod)):
        look(where, value.__func__, depth + 1)
    elif isinstance(value, property):
        for f in (value.fget, value.fset, value.fdel):
            look(where, f, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for x in value:
            look(where + "[]", x, depth + 1)
    elif isinstance(value, dict):
        for k, x in list(value.items()):
            look(where + "[" + repr(k)[:20] + "]", x, depth + 1)
    elif isinstance(value, type):
        for k, x in list(vars(value).items()):
            look(where + "." + k, x, depth + 1)
for c in pyodide_classes:
    look(c.__qualname__, c)
print(len(pyodide_classes), "classes; JS objects found:", found)`,
        output: /\d+ classes; JS objects found: \[\]\n$/,
      },
      {
        name: "object.__subclasses__(): Pyodide's Python classes make no JsProxy when called",
        // JsFuncSignature, Py2JsConverter and Js2PyConverter are C types of _pyodide_core: see the
        // interpreter-crash attempt below.
        code: `${PYODIDE_CLASSES}
made = []
for c in pyodide_classes:
    if c.__module__ == "builtins":
        continue
    for args in ((), ({},), (0,), ("globalThis",)):
        try:
            value = c(*args)
        except BaseException:
            continue
        if is_javascript(value):
            made.append(c.__qualname__)
print("JsProxy made:", made)`,
        output: /JsProxy made: \[\]\n$/,
      },
      {
        name: 'gc.get_objects()',
        code: 'import gc\ngc.get_objects()',
        refused: /^PermissionError: gc.get_objects is not available in this REPL/,
      },
      {
        name: 'gc.get_referrers()',
        code: 'import gc\ngc.get_referrers(object)',
        refused: /^PermissionError: gc.get_referrers is not available in this REPL/,
      },
      {
        name: 'gc.get_referents()',
        code: 'import gc, sys\ngc.get_referents(sys.modules)',
        refused: /^PermissionError: gc.get_referents is not available in this REPL/,
      },
      {
        name: 'sys._current_frames()',
        code: 'import sys\nsys._current_frames()',
        refused: /^PermissionError: sys._current_frames is not available in this REPL/,
      },
      {
        name: 'frames: sys._getframe() f_back, f_globals, f_locals, f_builtins and traceback frames',
        code: `import sys
${PYODIDE_CLASSES}
frames, found = 0, []
frame = sys._getframe()
while frame is not None:
    frames += 1
    for scope in (frame.f_globals, frame.f_locals, frame.f_builtins):
        found += [k for k, v in list(scope.items()) if is_javascript(v)]
    frame = frame.f_back
try:
    raise ValueError("for its traceback")
except ValueError as error:
    tb = error.__traceback__
    while tb is not None:
        frames += 1
        found += [k for k, v in list(tb.tb_frame.f_globals.items()) if is_javascript(v)]
        tb = tb.tb_next
print("frames:", frames, "JS objects found:", found)`,
        output: /frames: [1-9]\d* JS objects found: \[\]\n$/,
      },
      {
        name: "the runtime's host device, reached through a frame, serves only the REPL's own calls",
        code: `import sys
frame = sys._getframe()
while "_host" not in frame.f_globals:
    frame = frame.f_back
runtime = frame.f_globals
print(runtime["_host"]({"start": [{"name": "eval", "code": "process.exit(1)"}, {"name": "tool", "tool": "not_a_tool", "args": []}]}))
print(runtime["_host"]({"wait": True}))
runtime["_one"]('{"name": "tool", "tool": "secret_tool", "args": []}')`,
        refused: /^RuntimeError: malformed host call/,
      },
    ]);

    it('the host device served no tool that was not installed', () => {
      assert.deepEqual(
        shared.recorded.toolCalls.map((c) => c.name).filter((n) => n !== 'lookup'),
        [],
      );
    });

    it('sealing leaves ordinary imports working: the standard library imports, a missing module is ModuleNotFoundError', async () => {
      assert.equal(
        await runOk(shared.sandbox, 'import json, re, collections, importlib\nprint(json.dumps(re.findall(r"\\d", "a1b2")))'),
        '["1", "2"]\n',
      );
      const missing = await shared.sandbox.run('import numpy');
      assert.equal(missing.error, "ModuleNotFoundError: No module named 'numpy' (line 1)");
      assert.equal(await runOk(shared.sandbox, 'print(survivor)'), 'alive\n');
    });
  });

  describe('no way to the host', () => {
    const marker = join(secretDir, 'spawned');

    attempts(sandbox, [
      { name: 'os.environ holds no secret', code: 'import os\nprint(sorted(os.environ.items()))', output: /^\[.*\]\n$/ },
      { name: "os.environ['RLM_TEST_SECRET']", code: 'import os\nos.environ["RLM_TEST_SECRET"]', refused: /^KeyError: 'RLM_TEST_SECRET'/ },
      {
        name: 'os.getenv of API keys',
        code: 'import os\nprint([k for k in ("RLM_TEST_SECRET", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN") if os.getenv(k)])',
        output: '[]\n',
      },
      { name: "open('/etc/passwd')", code: 'print(open("/etc/passwd").read())', refused: /^FileNotFoundError: / },
      {
        name: "open() of the test's secret file",
        code: `print(open(${JSON.stringify(secretFile)}).read())`,
        refused: /^FileNotFoundError: /,
      },
      {
        name: 'os.open() of the secret file',
        code: `import os\nos.read(os.open(${JSON.stringify(secretFile)}, os.O_RDONLY), 100)`,
        refused: /^FileNotFoundError: /,
      },
      { name: "open('/proc/self/environ')", code: 'print(open("/proc/self/environ").read())', refused: /^FileNotFoundError: / },
      {
        name: 'open() of the context file after loading',
        code: 'print(open("/rlm-context/context").read())',
        refused: /^FileNotFoundError: /,
      },
      { name: "os.listdir('/rlm-context')", code: 'import os\nprint(os.listdir("/rlm-context"))', output: '[]\n' },
      { name: 'import socket', code: `import socket\nsocket.create_connection(("127.0.0.1", ${port}))`, refused: notAvailable('socket') },
      { name: 'import _socket', code: 'import _socket', refused: notAvailable('_socket') },
      { name: 'import ssl', code: 'import ssl', refused: notAvailable('ssl') },
      { name: 'import select', code: 'import select', refused: notAvailable('select') },
      {
        name: 'urllib.request.urlopen',
        code: `import urllib.request\nurllib.request.urlopen("http://127.0.0.1:${port}/")`,
        refused: notAvailable('urllib.request'),
      },
      {
        name: 'http.client',
        code: `import http.client\nhttp.client.HTTPConnection("127.0.0.1", ${port}).request("GET", "/")`,
        refused: notAvailable('http.client'),
      },
      { name: 'import asyncio', code: 'import asyncio\nasyncio.open_connection("127.0.0.1", 80)', refused: notAvailable('asyncio') },
      {
        name: 'import subprocess',
        code: `import subprocess\nsubprocess.run("touch ${marker}", shell=True)`,
        refused: notAvailable('subprocess'),
      },
      { name: 'import _posixsubprocess', code: 'import _posixsubprocess', refused: notAvailable('_posixsubprocess') },
      { name: 'import multiprocessing', code: 'import multiprocessing', refused: notAvailable('multiprocessing') },
      {
        name: 'os.system',
        code: `import os\nos.system("touch ${marker}")`,
        refused: /^PermissionError: os.system is not available in this REPL/,
      },
      { name: 'os.popen', code: `import os\nos.popen("touch ${marker}")`, refused: notAvailable('subprocess') },
      { name: 'os.fork', code: 'import os\nos.fork()', refused: /^PermissionError: os.fork is not available in this REPL/ },
      {
        name: 'os.execv',
        code: `import os\nos.execv("/bin/sh", ["sh", "-c", "touch ${marker}"])`,
        refused: /^PermissionError: os.execv is not available in this REPL/,
      },
      {
        name: 'os.posix_spawn',
        code: `import os\nos.posix_spawn("/bin/sh", ["sh", "-c", "touch ${marker}"], {})`,
        refused: /^(AttributeError|PermissionError): /,
      },
      { name: 'os.kill', code: 'import os\nos.kill(os.getppid(), 9)', refused: /^PermissionError: os.kill is not available in this REPL/ },
      { name: 'import ctypes', code: 'import ctypes\nctypes.CDLL(None)', refused: notAvailable('ctypes') },
      { name: 'import _ctypes', code: 'import _ctypes', refused: notAvailable('_ctypes') },
      { name: 'import _testcapi (raw memory and interpreter internals)', code: 'import _testcapi', refused: notAvailable('_testcapi') },
      { name: 'import _testinternalcapi', code: 'import _testinternalcapi', refused: notAvailable('_testinternalcapi') },
      {
        name: 'importlib.import_module of a module written in Python (no audit event on that path)',
        code: "import importlib\nimportlib.import_module('subprocess').run(['id'])",
        refused: notAvailable('subprocess'),
      },
    ]);

    it("os.environ holds only Pyodide's harmless names", async () => {
      const names = JSON.parse((await runOk(shared.sandbox, 'import os, json\nprint(json.dumps(sorted(os.environ)))')).trim()) as string[];
      for (const name of names) assert.ok(ENVIRONMENT_NAMES.includes(name), `unexpected variable ${name}`);
    });

    it("os.listdir('/') shows Pyodide's in-memory root, not the host's", async () => {
      const entries = JSON.parse((await runOk(shared.sandbox, 'import os, json\nprint(json.dumps(os.listdir("/")))')).trim()) as string[];
      for (const entry of entries) assert.ok(VIRTUAL_ROOT.includes(entry), `unexpected /${entry}`);
    });

    it('nothing connected to the host, nothing ran on it, and the REPL kept its variables', async () => {
      await sleep(50);
      assert.equal(connections, 0);
      assert.equal(existsSync(marker), false);
      assert.equal(await runOk(shared.sandbox, 'print(survivor)'), 'alive\n');
    });
  });
});

describe('Python REPL: attempts to end the REPL or outrun the time limit', () => {
  const shared = sharedSandbox('python', { context: 'the context text' });

  /** The REPL refused, or it was restarted and said so; either way the next cell runs. */
  async function endsSafely(code: string, options: { timeoutMs?: number } = {}): Promise<CellResult> {
    await runOk(shared.sandbox, 'survivor = "alive"');
    const result = await shared.sandbox.run(code, options);
    assertNoLeak(result, code);
    assert.ok(result.error, `${code}: no error reported`);
    if (result.restarted) assert.match(result.error, /restarted/, `${code}: a restart is said`);
    const next = await shared.sandbox.run('print("survivor" in globals(), context)');
    assert.equal(next.output, `${result.restarted ? 'False' : 'True'} the context text\n`, code);
    return result;
  }

  it('os._exit(1) is refused, or the REPL restarts and says so', async () => {
    const result = await endsSafely('import os\nos._exit(1)');
    if (!result.restarted) assert.match(result.error ?? '', /^PermissionError: os._exit is not available in this REPL/);
  });

  it('posix._exit(1) and os.abort() are refused, or the REPL restarts and says so', async () => {
    await endsSafely('import posix\nposix._exit(1)');
    await endsSafely('import os\nos.abort()');
  });

  it('sys.exit() is an error of its cell; the REPL carries on with its variables', async () => {
    for (const code of ['import sys\nsys.exit()', 'import sys\nsys.exit("bye")', 'raise SystemExit(3)']) {
      const result = await endsSafely(code);
      assert.equal(result.restarted, false);
      assert.match(result.error ?? '', /^SystemExit\b/);
    }
  });

  it('a signal that terminates the interpreter restarts the REPL, which says so', async () => {
    const result = await endsSafely('import signal\nsignal.raise_signal(signal.SIGTERM)');
    assert.equal(result.restarted, true);
  });

  it("calling _pyodide_core's C types found through object.__subclasses__() does not take the REPL down unannounced", async () => {
    for (const name of ['JsFuncSignature', 'Py2JsConverter', 'Js2PyConverter']) {
      await endsSafely(`${PYODIDE_CLASSES}\n[c for c in pyodide_classes if c.__name__ == "${name}"][0]()\nraise RuntimeError("made one")`);
    }
  });

  it('a busy loop that swallows the interrupt is still stopped at the limit; the REPL restarts and says so', async () => {
    const result = await endsSafely(
      'while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass',
      { timeoutMs: 300 },
    );
    assert.match(result.error ?? '', /^TimeoutError: the cell was still computing after 300 ms/);
    assert.ok(result.durationMs < 8000, `stopped (${Math.round(result.durationMs)} ms)`);
  });

  it('a busy loop that ignores SIGINT is still stopped at the limit', async () => {
    const result = await endsSafely('import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass', {
      timeoutMs: 300,
    });
    assert.match(result.error ?? '', /^TimeoutError: the cell was still computing after 300 ms/);
    assert.ok(result.durationMs < 8000, `stopped (${Math.round(result.durationMs)} ms)`);
  });
});

describe('Python REPL: escapes that once reached JavaScript', () => {
  const shared = sharedSandbox('python', { context: 'the context text' });

  attempts(
    () => shared.sandbox,
    [
      {
        name: 'JsException, found through object.__subclasses__(), made into a JavaScript Error whose constructor is Function',
        code: `${PYODIDE_CLASSES}
JsException = [c for c in pyodide_classes if c.__name__ == "JsException"][0]
error = JsException("Error", "made from Python")
Function = error.constructor.constructor
print("reached JavaScript:", Function("return typeof process")())`,
        refused: /^(TypeError|NameError|PermissionError|AttributeError): /,
      },
      {
        // Refused twice over: no file can be written any more, and _imp.create_dynamic is refused.
        name: 'a WebAssembly side module written to /tmp and loaded as an extension module (_imp.create_dynamic)',
        code: `import sys, os, importlib.machinery, importlib.util

def leb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7f, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)

def sleb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7f, n >> 7
        done = (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)

def name(text):
    return leb(len(text)) + text.encode()

def section(kind, payload):
    return bytes([kind]) + leb(len(payload)) + payload

script = b"FS.writeFile('/tmp/escaped', 'reached JavaScript: typeof process = ' + typeof process)\\0"
address = id(script) + sys.getsizeof(b"") - 1
body = b"\\0" + b"\\x41" + sleb(address) + b"\\x10" + leb(0) + b"\\x41\\0\\x0b"
wasm = b"\\0asm\\1\\0\\0\\0" + b"".join([
    section(0, name("dylink.0") + b"\\1" + leb(4) + b"\\0\\0\\0\\0"),
    section(1, leb(2) + b"\\x60\\1\\x7f\\0" + b"\\x60\\0\\1\\x7f"),
    section(2, leb(1) + name("env") + name("emscripten_run_script") + b"\\0" + leb(0)),
    section(3, leb(1) + leb(1)),
    section(7, leb(1) + name("PyInit_escape") + b"\\0" + leb(1)),
    section(10, leb(1) + leb(len(body)) + body),
])
with open("/tmp/escape.so", "wb") as file:
    file.write(wasm)
loader = importlib.machinery.ExtensionFileLoader("escape", "/tmp/escape.so")
try:
    loader.create_module(importlib.util.spec_from_file_location("escape", "/tmp/escape.so", loader=loader))
finally:
    if os.path.exists("/tmp/escaped"):
        print(open("/tmp/escaped").read())`,
        refused: /^(ImportError|PermissionError|OSError): /,
      },
    ],
  );
});
