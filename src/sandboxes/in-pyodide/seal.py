"""Cuts the interpreter off from JavaScript and the host before any model code runs.

Pyodide gives Python a path to the JavaScript side (`import js`, `pyodide_js`, `pyodide.ffi`,
and every module built on them). After this runs: those modules are gone from sys.modules and
their namespaces are emptied, so functions that imported them find nothing through __globals__;
their finder is gone from sys.meta_path; an audit hook, which cannot be removed, refuses to import
them again and refuses the introspection that walks the heap (gc) and process-level calls
(subprocess, sockets, ctypes, exec of programs). This is the first wall only: the interpreter
runs in a worker stripped of network and module loading, in a process with an empty environment
and Node's permission model.
"""
import builtins
import gc
import os
import sys

# Modules that are, or hold, a way to JavaScript: removed, and their namespaces emptied.
_JS_ROOTS = frozenset({'js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip', 'pyodide_http'})
# Modules that reach the host's processes, network or memory: removed and refused.
_HOST_ROOTS = frozenset({
    'ctypes', '_ctypes', 'socket', '_socket', 'ssl', '_ssl', 'subprocess', '_posixsubprocess',
    'multiprocessing', '_multiprocessing', 'select', 'selectors', 'asyncio', '_asyncio',
    'urllib.request', 'http.client', 'ftplib', 'smtplib', 'imaplib', 'poplib', 'webbrowser',
})
# CPython's test modules poke at raw memory and interpreter internals.
_TEST_PREFIXES = ('_test', '_xxtest', '_xxsubinterpreters', '_interp')
_BLOCKED_ROOTS = _JS_ROOTS | _HOST_ROOTS

_BLOCKED_EVENTS = frozenset({
    'gc.get_objects', 'gc.get_referrers', 'gc.get_referents', 'sys._current_frames',
    'os.system', 'os.exec', 'os.posix_spawn', 'os.spawn', 'os.fork', 'os.forkpty', 'os.kill',
    'os.killpg', 'subprocess.Popen', 'ctypes.dlopen', 'ctypes.dlsym', 'ctypes.cdata',
    'socket.connect', 'socket.bind', 'socket.getaddrinfo', 'socket.__new__', 'sys.addaudithook',
    'cpython.remote_debugger_script', 'sys.remote_exec', 'os.putenv', 'os.unsetenv',
})


def _blocked_module(name, roots=_BLOCKED_ROOTS):
    if not isinstance(name, str):
        return False
    if roots is _BLOCKED_ROOTS and name.startswith(_TEST_PREFIXES):
        return True
    return any(name == root or name.startswith(root + '.') for root in roots)


class _RefusingFinder:
    """First on sys.meta_path: refuses blocked modules on import paths the audit hook does not see
    (importlib.import_module of a top-level module written in Python)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if _blocked_module(name):
            raise ImportError('module ' + repr(name) + ' is not available in this REPL')
        return None


def _audit(event, args):
    if event == 'import' and args and _blocked_module(args[0]):
        if _blocked_module(args[0], {'asyncio', '_asyncio', 'threading'}):
            raise ImportError('module ' + repr(args[0]) + ' is not available in this REPL: llm_query_batched and rlm_query_batched run their prompts concurrently')
        raise ImportError('module ' + repr(args[0]) + ' is not available in this REPL (no host, network or processes)')
    if event in _BLOCKED_EVENTS or (event.startswith('os.exec') or event.startswith('os.spawn')):
        raise PermissionError(event + ' is not available in this REPL')


def _refuse(name):
    def refused(*args, **kwargs):
        raise PermissionError(name + ' is not available in this REPL')

    refused.__name__ = name.rsplit('.', 1)[-1]
    return refused


def _refuse_proxy_classes():
    def refused_new(cls, *args, **kwargs):
        raise TypeError(cls.__name__ + ' objects cannot be made in this REPL')

    seen, stack = set(), [object]
    while stack:
        for kind in type.__subclasses__(stack.pop()):
            if kind in seen:
                continue
            seen.add(kind)
            stack.append(kind)
            javascript = any(base.__name__ == 'JsProxy' for base in kind.__mro__)
            if javascript and 'pyodide' in str(getattr(kind, '__module__', '')):
                try:
                    kind.__new__ = refused_new
                except TypeError:
                    pass  # an immutable C type: it refuses to be called already


def _refuse_threads():
    """No thread can start in Pyodide; say what to use instead of Pyodide's bare error."""
    def refused(*args, **kwargs):
        raise RuntimeError('threads are not available in this REPL; to run sub-calls concurrently, use llm_query_batched(prompts) or rlm_query_batched(prompts)')

    import _thread as thread
    import threading

    for name in ('start_new_thread', 'start_new', 'start_joinable_thread'):
        if thread is not None and hasattr(thread, name):
            setattr(thread, name, refused)
    for name in ('_start_new_thread', '_start_joinable_thread'):
        if hasattr(threading, name):
            setattr(threading, name, refused)
    threading.Thread.start = lambda self: refused()


def prepare():
    """Imports every allowed built-in module, once per interpreter, while a warm REPL waits for a run."""
    for name in sys.builtin_module_names:
        if name not in sys.modules and not _blocked_module(name):
            try:
                __import__(name)
            except Exception:
                pass


def seal():
    # Pyodide's finders (the one that serves `import js` from JavaScript objects among them):
    # their code lives in modules emptied below. Finders are classes or instances.
    def pyodide_owned(finder):
        kind = finder if isinstance(finder, type) else type(finder)
        return 'pyodide' in str(getattr(kind, '__module__', '')) or kind.__name__ == 'JsFinder'

    sys.meta_path[:] = [_RefusingFinder] + [f for f in sys.meta_path if not pyodide_owned(f)]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not pyodide_owned(h)]
    removed = {}
    for name in [name for name in list(sys.modules) if _blocked_module(name)]:
        module = sys.modules.pop(name, None)
        if module is not None:
            removed[id(module)] = (name, module)
    # Modules that imported those keep references in their own namespaces (`__main__` holds
    # `_pyodide_core`): drop every reference to a removed module or to a JavaScript object.
    for module in list(sys.modules.values()):
        namespace = getattr(module, '__dict__', None)
        if not isinstance(namespace, dict):
            continue
        for key, value in list(namespace.items()):
            kind = type(value)
            if id(value) in removed or 'JsProxy' in kind.__name__ or getattr(kind, '__module__', '') in ('pyodide.ffi', '_pyodide_core', 'pyodide'):
                del namespace[key]
    # Pyodide's proxy classes stay reachable through object.__subclasses__(), and calling one
    # makes a JavaScript object (JsException("Error", "x") makes a JavaScript Error). Those that
    # can be changed are made impossible to call; Pyodide makes its own proxies in C, without them.
    _refuse_proxy_classes()
    # Functions defined in the JavaScript modules find nothing through __globals__ any more.
    for name, module in removed.values():
        namespace = getattr(module, '__dict__', None)
        if _blocked_module(name, _JS_ROOTS) and isinstance(namespace, dict):
            namespace.clear()
    # Built-in modules can be made again from their initial state with _imp.create_builtin,
    # bypassing the import hook, and any wrapper around it would hand the original out through
    # its closure. prepare() imported every allowed built-in module; now the function is refused.
    sys.modules['_imp'].create_builtin = _refuse('_imp.create_builtin')
    # Every extension module of this standard library is built in; loading one from a file would
    # let model code link a WebAssembly module it wrote itself into the interpreter.
    sys.modules['_imp'].create_dynamic = _refuse('_imp.create_dynamic')
    sys.modules['_imp'].exec_dynamic = _refuse('_imp.exec_dynamic')
    # No secret ever enters this environment, but nothing Pyodide set there is needed either.
    for key in list(os.environ):
        if key not in ('HOME', 'PATH', 'LANG', 'PWD', 'USER', 'LOGNAME'):
            del os.environ[key]
    for name in ('_exit', 'abort', 'kill', 'killpg', 'system', 'fork', 'forkpty', 'execv', 'execve', 'putenv', 'unsetenv'):
        for module in (os, sys.modules.get('posix')):
            if module is not None and hasattr(module, name):
                setattr(module, name, _refuse('os.' + name))
    _refuse_threads()
    sys.addaudithook(_audit)
    gc.collect()
