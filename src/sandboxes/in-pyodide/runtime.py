"""The REPL's names inside Pyodide: llm_query, FINAL, SHOW_VARS, print capture, cells.

Runs once per interpreter, as the module `_rlm`, before any model code. It holds no handle to
JavaScript at all: host calls go through the device file /dev/rlm (a JSON request written, the
JSON answer read back), which blocks this thread while the REPL process serves the call. So model
code that reaches these functions' globals finds only plain Python.

Everything that leaves for the host is bounded here, where it is made (the bounds come from
limits.ts with the load message): an error is cut, a long answer, prompt, context or tool's
arguments is refused with an error model code sees, before anything crosses. Calls go to the
device a window at a time: those not yet sent wait here, in the heap the memory cap counts.
"""
import ast
import builtins
import errno
import json
import os
import sys
import time

_CONFIG = {
    'max_output_chars': 20000,
    'tools': [],
    # A run whose answer is checked against a schema gets data as JSON, not as str() of it.
    'answers_json': False,
    # Set by configure() from limits.ts; these defaults are never used by a loaded REPL.
    'max_error_chars': 10000,
    'max_answer_chars': 1000000,
    'max_prompt_chars': 4000000,
    'max_value_json_chars': 32000000,
    'max_schema_json_chars': 65536,
    'max_calls_in_flight': 32,
    'max_calls_waiting': 10000,
}
# Calls sent to the device in one request, beyond the first, are kept under this many characters.
_GROUP_CHARS = 1 << 20
_HOST_DEVICE = '/dev/rlm'
# `contexts`: every context as loaded, in order: `context_0`, `context_1`...
_state = {'final': None, 'history': [], 'contexts': []}
_main = sys.modules['__main__'].__dict__


class _Capture:
    """sys.stdout and sys.stderr of a cell: keeps the first characters, counts them all."""

    encoding = 'utf-8'
    errors = 'strict'

    def __init__(self):
        self.parts = []
        self.kept = 0
        self.total = 0

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError('write() argument must be str, not ' + type(text).__name__)
        self.total += len(text)
        room = _CONFIG['max_output_chars'] - self.kept
        if room > 0:
            piece = text if len(text) <= room else text[:room]
            self.parts.append(piece)
            self.kept += len(piece)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def text(self):
        return ''.join(self.parts)


_out = _Capture()


def _host(request):
    """One request to the host; blocks until it answers. Returns the decoded answer."""
    return _host_text(_json(request))


def _host_text(text):
    """One request, already JSON text; raises KeyboardInterrupt when the cell was interrupted meanwhile."""
    data = memoryview((text + '\n').encode('utf-8', 'surrogatepass'))
    fd = os.open(_HOST_DEVICE, os.O_RDWR)
    try:
        while len(data):
            data = data[os.write(fd, data):]
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    answer = json.loads(b''.join(chunks))
    if answer.get('interrupted'):
        # The REPL process stopped the cell (time limit, cancel) while this call waited.
        raise KeyboardInterrupt
    return answer


def _n(number):
    return format(number, ',')


def _as_prompt(fn, prompt):
    if prompt is None:
        raise TypeError(fn + ': the prompt must be a string, got None')
    if not isinstance(prompt, str):
        try:
            prompt = _json_lenient(prompt)
        except (TypeError, ValueError):
            prompt = str(prompt)
    if len(prompt) > _CONFIG['max_prompt_chars']:
        raise ValueError(fn + ': the prompt is too long: ' + _n(len(prompt)) + ' characters (at most ' + _n(_CONFIG['max_prompt_chars']) + '); send a slice')
    return prompt


def _as_model(fn, model):
    if isinstance(model, dict):
        model = model.get('model')
    if model is not None and not isinstance(model, str):
        raise TypeError(fn + ': model must be a string')
    return model


def _as_options(fn, model, schema):
    """The model and the schema's JSON text (or None): `model` may be a dict of both, as in JavaScript."""
    if isinstance(model, dict):
        if schema is None:
            schema = model.get('schema')
        model = model.get('model')
    model = _as_model(fn, model)
    if schema is None:
        return model, None
    if not isinstance(schema, (dict, bool)):
        raise TypeError(fn + ': schema must be a JSON Schema written as plain data, like {"type": "object", "properties": {...}}')
    try:
        text = _json(schema)
    except (TypeError, ValueError):
        raise TypeError(fn + ': schema must be plain JSON data (dicts, lists, strings, numbers, booleans, None)') from None
    if len(text) > _CONFIG['max_schema_json_chars']:
        raise ValueError(fn + ': schema is too large: ' + _n(len(text)) + ' characters of JSON (at most ' + _n(_CONFIG['max_schema_json_chars']) + ')')
    return model, text


def _as_list(fn, prompts):
    if isinstance(prompts, (str, bytes, dict)) or not hasattr(prompts, '__iter__'):
        raise TypeError(fn + ': expects a list of prompts')
    return list(prompts)


def _value_json(what, value):
    """A value as the JSON text that crosses (str() of what JSON cannot hold), refused when too large."""
    try:
        text = _json(value)
    except (TypeError, ValueError):
        text = _json(str(value))
    if len(text) > _CONFIG['max_value_json_chars']:
        raise ValueError(what + ' is too large: ' + _n(len(text)) + ' characters of JSON (at most ' + _n(_CONFIG['max_value_json_chars']) + '); pass a slice')
    return text


# One encoder each, made once: json.dumps with options makes a new encoder on every call.
_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
_json_lenient = json.JSONEncoder(ensure_ascii=False).encode


def _call_text(name, prompt, model=None, context_json=None, schema_json=None):
    """One host call as JSON text, made once: a context's (and a schema's) JSON is set in as it is."""
    text = '{"name":"' + name + '","model":' + _json(model) + ',"prompt":' + _json(prompt)
    text += ',"schema":' + schema_json if schema_json is not None else ''
    return text + (',"context":' + context_json if context_json is not None else '') + '}'


def _calls(count, text):
    """Runs `count` host calls concurrently (call i is the JSON text `text(i)`); returns (ok, value) per call, in order.

    The device takes a window of calls at a time (as many as may be in flight) and blocks while it
    is full; the rest wait here, and each call's text is made only when its turn comes. Past the
    calls one cell may have waiting, a call fails at once.
    """
    room = _CONFIG['max_calls_in_flight'] + _CONFIG['max_calls_waiting']
    results = [None] * count
    if count > room:
        refused = (False, 'too many calls at once: ' + _n(_CONFIG['max_calls_in_flight']) + ' in flight and ' + _n(_CONFIG['max_calls_waiting'])
                   + ' waiting; wait for some to finish before starting more')
        results[room:] = [refused] * (count - room)
        count = room
    pending = {}
    free = _CONFIG['max_calls_in_flight']
    ready = []  # texts made for the calls from `sent` on, not yet taken by the device

    def take(done):
        for key, ok, value in done:
            index = pending.pop(key, None)
            if index is not None:
                results[index] = (ok, value)

    sent = 0
    while sent < count:
        size = sum(len(t) for t in ready)
        while sent + len(ready) < count and len(ready) < max(free, 1) and (not ready or size <= _GROUP_CHARS):
            ready.append(text(sent + len(ready)))
            size += len(ready[-1])
        group = ready[:max(free, 1)]
        answer = _host_text('{"start":[' + ','.join(group) + ']}')
        taken = len(answer['ids'])
        for offset, key in enumerate(answer['ids']):
            pending[key] = sent + offset
        sent += taken
        del ready[:taken]
        free = answer['free']
        take(answer['done'])
    while pending:
        answer = _host_text('{"wait":true}')
        if not answer['done']:
            break  # nothing of this cell is in flight any more
        take(answer['done'])
    return [result if result is not None else (False, 'the call was lost') for result in results]


def _one(text):
    ok, value = _calls(1, lambda _: text)[0]
    if not ok:
        raise RuntimeError(value)
    return value


def llm_query(prompt, model=None):
    """Asks a language model one question; returns its answer as text."""
    return _one(_call_text('llm_query', _as_prompt('llm_query', prompt), _as_model('llm_query', model)))


def llm_query_batched(prompts, model=None):
    """Asks many questions at once (they run concurrently); a failed one gives 'Error: ...' in its slot."""
    model = _as_model('llm_query_batched', model)
    prompts = [_as_prompt('llm_query_batched', p) for p in _as_list('llm_query_batched', prompts)]
    head = '{"name":"llm_query","model":' + _json(model) + ',"prompt":'
    results = _calls(len(prompts), lambda i: head + _json(prompts[i]) + '}')
    return [value if ok else 'Error: ' + value for ok, value in results]


def _context_json(fn, context):
    return None if context is None else _value_json(fn + "'s context", context)


def rlm_query(prompt, context=None, model=None, schema=None):
    """Hands a sub-task to a child RLM with its own REPL (over `context`, if given, on `model` if named); returns its answer.

    With `schema` (a JSON Schema as a dict), the child's answer must match it, and comes back as the value itself (a dict...).
    """
    model, schema_json = _as_options('rlm_query', model, schema)
    value = _one(_call_text('rlm_query', _as_prompt('rlm_query', prompt), model, _context_json('rlm_query', context), schema_json))
    return value if schema_json is None else json.loads(value)


def rlm_query_batched(prompts, contexts=None, model=None, schema=None):
    """Runs child RLMs concurrently (on `model` if named, each answer matching `schema` if given); a failed one gives 'Error: ...' in its slot."""
    model, schema_json = _as_options('rlm_query_batched', model, schema)
    prompts = _as_list('rlm_query_batched', prompts)
    contexts = list(contexts) if contexts is not None else []
    texts = [
        _call_text('rlm_query', _as_prompt('rlm_query_batched', p), model, _context_json('rlm_query_batched', contexts[i] if i < len(contexts) else None), schema_json)
        for i, p in enumerate(prompts)
    ]
    results = _calls(len(texts), texts.__getitem__)
    return [(value if schema_json is None else json.loads(value)) if ok else 'Error: ' + value for ok, value in results]


def sleep(secs):
    """time.sleep: blocks for `secs` seconds without using the CPU; the cell's time limit stops it."""
    if isinstance(secs, bool) or not isinstance(secs, (int, float)):
        raise TypeError("'" + type(secs).__name__ + "' object cannot be interpreted as an integer or float")
    if secs != secs or secs < 0:
        raise ValueError('sleep length must be non-negative')
    if secs == float('inf'):
        raise OverflowError('sleep length is too large')
    if secs > 0:
        _host({'sleep': float(secs)})


def budget():
    """The run's spending and limits: calls, tokens, cost, time, per depth."""
    return _host({'sync': 'budget'})['value']


def _answer_text(value):
    """An answer as Python shows it: str(value), as exact-match scoring and Python users expect;
    data as JSON in a run whose answer is checked against a schema."""
    if isinstance(value, str):
        return value
    if _CONFIG['answers_json']:
        try:
            return json.dumps(value, indent=2, ensure_ascii=False)
        except (TypeError, ValueError):
            pass
    try:
        return str(value)
    except Exception:
        return repr(value)


def _final_text(fn, value):
    text = _answer_text(value)
    if len(text) > _CONFIG['max_answer_chars']:
        raise ValueError(fn + ': the answer is too long: ' + _n(len(text)) + ' characters (at most ' + _n(_CONFIG['max_answer_chars']) + '); answer more briefly')
    return text


def FINAL(value):
    """Ends the run with this answer."""
    if value is None:
        raise TypeError('FINAL got None: call it with your answer, e.g. FINAL(answer)')
    _state['final'] = _final_text('FINAL', value)


def _is_user_name(name):
    """A name the model's code defined: not the REPL's own, not a tool, not Python's dunders."""
    return isinstance(name, str) and not (name.startswith('__') and name.endswith('__')) and name not in _BASELINE and name not in _CONFIG['tools']


def _user_names():
    return [n for n in _main if _is_user_name(n)]


def _context_names():
    """The contexts' names: variables, but not among those named to the model as its own."""
    return {'context'} | {'context_' + str(i) for i in range(len(_state['contexts']))}


def FINAL_VAR(name):
    """Ends the run with the value of the variable called `name`."""
    if isinstance(name, str) and name.isidentifier() and name in _main and _is_user_name(name):
        if _main[name] is None:
            raise TypeError(f'FINAL_VAR({name!r}): the variable is None; give it your answer first')
        _state['final'] = _final_text('FINAL_VAR(' + repr(name) + ')', _main[name])
        return
    contexts = _context_names()
    if any(_main[n] is name for n in _user_names() if n not in contexts) and not isinstance(name, (int, float, bool)):
        _state['final'] = _final_text('FINAL_VAR', name)
        return
    known = [n for n in _user_names() if n not in contexts]
    raise NameError(
        'FINAL_VAR(' + repr(name) + '): no variable of that name. '
        + ('Your variables: ' + ', '.join(known) if known else 'You have defined no variables yet')
        + ". Pass the name as a string, e.g. FINAL_VAR('answer'), or call FINAL(value)."
    )


def _describe(value):
    if isinstance(value, str):
        return 'str, ' + format(len(value), ',') + ' chars'
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return type(value).__name__ + ', ' + format(len(value), ',') + ' items'
    if callable(value):
        return 'class' if isinstance(value, type) else 'function'
    shown = repr(value)
    return type(value).__name__ + ' (' + (shown[:60] + '...' if len(shown) > 60 else shown) + ')'


def SHOW_VARS():
    """Prints your variables with their types and sizes."""
    contexts = _state['contexts']
    current = _main.get('context')
    # A context that `context` names is the same value under a second name: not shown twice.
    same = {'context_' + str(i) for i, value in enumerate(contexts) if value is current}
    names = [n for n in _user_names() if not isinstance(_main[n], type(sys)) and n not in same]
    if not names:
        print('No variables yet (besides context).')
        return
    if len(contexts) == 1:
        notes = {'context_0': ' (the context as loaded)'}
    else:
        notes = {'context_' + str(i): ' (context ' + str(i) + ' as loaded)' for i in range(len(contexts))}
    print('Variables:\n' + '\n'.join('  ' + n + ': ' + _describe(_main[n]) + notes.get(n, '') for n in names))


def _make_tool(name):
    def tool(*args):
        try:
            payload = _json(list(args))
        except (TypeError, ValueError):
            raise TypeError(name + ': its arguments must be JSON values') from None
        if len(payload) > _CONFIG['max_value_json_chars']:
            raise ValueError(name + ': its arguments are too large: ' + _n(len(payload)) + ' characters of JSON (at most ' + _n(_CONFIG['max_value_json_chars']) + '); pass a slice')
        return json.loads(_one('{"name":"tool","tool":' + _json(name) + ',"args":' + payload + '}'))

    tool.__name__ = tool.__qualname__ = name
    return tool


def _where(error):
    line = None
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == '<cell>':
            line = tb.tb_lineno
        tb = tb.tb_next
    return ' (line ' + str(line) + ')' if line is not None else ''


def _describe_error(error):
    try:
        text = str(error)
    except BaseException:
        text = '(describing it raised another error)'
    head = type(error).__name__ + (': ' if text else '')
    where = _where(error)
    total = len(head) + len(text) + len(where)
    if total <= _CONFIG['max_error_chars']:
        return head + text + where
    # Cut before joining: an error of a billion characters is not copied again.
    return _cut(head + text[:_CONFIG['max_error_chars']] + where, total, 'error')


def _cut(text, total, what):
    """The first characters of a `total`-character text, and the note limits.ts's cutError writes,
    within the bound together (so that no later cut adds a second note)."""
    limit = _CONFIG['max_error_chars'] if what == 'error' else _CONFIG['max_answer_chars']
    if total <= limit:
        return text
    kept = limit - len(' [... ' + _n(total) + ' more characters of this ' + what + ' cut]')
    return text[:kept] + ' [... ' + _n(total - kept) + ' more characters of this ' + what + ' cut]'


def _outcome(error=None):
    outcome = {'output': _out.text(), 'outputChars': _out.total}
    if error is not None:
        outcome['error'] = _cut(error, len(error), 'error')
    if _state['final'] is not None:
        outcome['final'] = _state['final']
    return json.dumps(outcome)


def _install_names():
    """(Re)binds the REPL's names, so a cell that overwrote one gets it back next time."""
    for fn in (llm_query, llm_query_batched, rlm_query, rlm_query_batched, budget, FINAL, FINAL_VAR, SHOW_VARS):
        _main[fn.__name__] = fn
    _main['print'] = builtins.print
    _main['history'] = list(_state['history'])
    # The contexts as loaded, whatever model code did to their names: the same objects, not copies.
    for i, value in enumerate(_state['contexts']):
        _main['context_' + str(i)] = value
    for name in _CONFIG['tools']:
        _main[name] = _make_tool(name)


def run_cell(code, history_from, history_json):
    """Runs one cell; returns its outcome as JSON. The last expression's value is shown, as in a notebook."""
    del _state['history'][history_from:]
    _state['history'].extend(json.loads(history_json))
    _state['final'] = None
    _out.__init__()
    _install_names()
    sys.stdout = sys.stderr = _out
    try:
        try:
            tree = ast.parse(code, '<cell>', 'exec')
        except SyntaxError as error:
            return _outcome('SyntaxError: ' + str(error.msg) + (' (line ' + str(error.lineno) + ')' if error.lineno else ''))
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, '<cell>', 'exec'), _main)
        if last is not None:
            value = eval(compile(last, '<cell>', 'eval'), _main)
            if value is not None and _state['final'] is None:
                _out.write(repr(value) + '\n')
        return _outcome()
    except KeyboardInterrupt:
        # The REPL process asked (time limit, cancel); it words the error itself.
        return _outcome('KeyboardInterrupt')
    except MemoryError as error:
        return _outcome('MemoryError: the cell ran out of memory' + _where(error))
    except OSError as error:
        if error.errno == errno.EROFS or 'No usable temporary directory' in str(error):
            return _outcome(_describe_error(error) + ' (this REPL has no writable files; keep data in variables)')
        return _outcome(_describe_error(error))
    except BaseException as error:
        return _outcome(_describe_error(error))
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


def variable(name):
    """A variable's value as answer text, for a FINAL_VAR written outside code; a long one is cut."""
    try:
        if isinstance(name, str) and name in _main and _is_user_name(name):
            text = _answer_text(_main[name])
            return json.dumps({'found': True, 'value': _cut(text, len(text), 'answer')})
    except BaseException:
        pass
    contexts = _context_names()
    return json.dumps({'found': False, 'names': [n for n in _user_names() if n not in contexts]})


def load_context(path, fmt):
    """Reads a context into `context`, kept as `context_<n>` too (n = 0 for the first, returned): text as one str, JSON as Python data."""
    with open(path, encoding='utf-8') as file:
        value = file.read() if fmt == 'text' else json.load(file)
    index = len(_state['contexts'])
    _state['contexts'].append(value)
    _main['context'] = value
    _main['context_' + str(index)] = value
    return index


def configure(max_output_chars, tools, limits_json, answers_json=False):
    limits = json.loads(limits_json)
    _CONFIG['max_output_chars'] = max_output_chars
    _CONFIG['answers_json'] = bool(answers_json)
    _CONFIG['tools'] = list(tools)
    for key in ('max_error_chars', 'max_answer_chars', 'max_prompt_chars', 'max_value_json_chars', 'max_schema_json_chars', 'max_calls_in_flight', 'max_calls_waiting'):
        _CONFIG[key] = int(limits[key])
    sleep.__module__ = 'time'
    time.sleep = sleep
    # Emscripten loads node:crypto on the first use of randomness (os.urandom, uuid4, secrets):
    # done now, before the worker may load no more modules, it is never needed again.
    os.urandom(1)
    _install_names()


_BASELINE = {'llm_query', 'llm_query_batched', 'rlm_query', 'rlm_query_batched', 'budget', 'FINAL', 'FINAL_VAR', 'SHOW_VARS', 'print', 'history'}
