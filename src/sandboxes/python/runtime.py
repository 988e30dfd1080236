"""The REPL's names inside Pyodide: llm_query, FINAL, SHOW_VARS, print capture, cells.

Runs once per interpreter, as the module `_rlm`, before any model code. It holds no handle to
JavaScript at all: host calls go through the device file /dev/rlm (a JSON request written, the
JSON answer read back), which blocks this thread while the REPL process serves the call. So model
code that reaches these functions' globals finds only plain Python.
"""
import ast
import builtins
import json
import os
import sys

_CONFIG = {'max_output_chars': 20000, 'tools': []}
_HOST_DEVICE = '/dev/rlm'
_state = {'final': None, 'history': []}
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
    data = memoryview((json.dumps(request) + '\n').encode('utf-8'))
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
    return json.loads(b''.join(chunks))


def _as_prompt(fn, prompt):
    if isinstance(prompt, str):
        return prompt
    if prompt is None:
        raise TypeError(fn + ': the prompt must be a string, got None')
    try:
        return json.dumps(prompt, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(prompt)


def _as_model(fn, model):
    if isinstance(model, dict):
        model = model.get('model')
    if model is not None and not isinstance(model, str):
        raise TypeError(fn + ': model must be a string')
    return model


def _as_list(fn, prompts):
    if isinstance(prompts, (str, bytes, dict)) or not hasattr(prompts, '__iter__'):
        raise TypeError(fn + ': expects a list of prompts')
    return list(prompts)


def _calls(calls):
    """Runs host calls concurrently; returns (ok, value) per call, in order."""
    answer = _host({'calls': calls})
    return [(item['ok'], item['value']) for item in answer['results']]


def _one(call):
    ok, value = _calls([call])[0]
    if not ok:
        raise RuntimeError(value)
    return value


def llm_query(prompt, model=None):
    """Asks a language model one question; returns its answer as text."""
    return _one({'name': 'llm_query', 'prompt': _as_prompt('llm_query', prompt), 'model': _as_model('llm_query', model)})


def llm_query_batched(prompts, model=None):
    """Asks many questions at once (they run concurrently); a failed one gives 'Error: ...' in its slot."""
    model = _as_model('llm_query_batched', model)
    calls = [{'name': 'llm_query', 'prompt': _as_prompt('llm_query_batched', p), 'model': model} for p in _as_list('llm_query_batched', prompts)]
    return [value if ok else 'Error: ' + value for ok, value in _calls(calls)] if calls else []


def _as_context(context):
    if context is None:
        return None
    try:
        return json.loads(json.dumps(context))
    except (TypeError, ValueError):
        return str(context)


def rlm_query(prompt, context=None):
    """Hands a sub-task to a child RLM with its own REPL (over `context`, if given); returns its answer."""
    return _one({'name': 'rlm_query', 'prompt': _as_prompt('rlm_query', prompt), 'context': _as_context(context)})


def rlm_query_batched(prompts, contexts=None):
    """Runs child RLMs concurrently; a failed one gives 'Error: ...' in its slot."""
    prompts = _as_list('rlm_query_batched', prompts)
    contexts = list(contexts) if contexts is not None else []
    calls = [
        {'name': 'rlm_query', 'prompt': _as_prompt('rlm_query_batched', p), 'context': _as_context(contexts[i] if i < len(contexts) else None)}
        for i, p in enumerate(prompts)
    ]
    return [value if ok else 'Error: ' + value for ok, value in _calls(calls)] if calls else []


def budget():
    """The run's spending and limits: calls, tokens, cost, time, per depth."""
    return _host({'sync': 'budget'})['value']


def _answer_text(value):
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def FINAL(value):
    """Ends the run with this answer."""
    if value is None:
        raise TypeError('FINAL got None: call it with your answer, e.g. FINAL(answer)')
    _state['final'] = _answer_text(value)


def _is_user_name(name):
    """A name the model's code defined: not the REPL's own, not a tool, not Python's dunders."""
    return isinstance(name, str) and not (name.startswith('__') and name.endswith('__')) and name not in _BASELINE and name not in _CONFIG['tools']


def _user_names():
    return [n for n in _main if _is_user_name(n)]


def FINAL_VAR(name):
    """Ends the run with the value of the variable called `name`."""
    if isinstance(name, str) and name.isidentifier() and name in _main and _is_user_name(name):
        if _main[name] is None:
            raise TypeError(f'FINAL_VAR({name!r}): the variable is None; give it your answer first')
        _state['final'] = _answer_text(_main[name])
        return
    if any(_main[n] is name for n in _user_names() if n != 'context') and not isinstance(name, (int, float, bool)):
        _state['final'] = _answer_text(name)
        return
    known = [n for n in _user_names() if n != 'context']
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
    names = [n for n in _user_names() if not isinstance(_main[n], type(sys))]
    if not names:
        print('No variables yet (besides context).')
        return
    print('Variables:\n' + '\n'.join('  ' + n + ': ' + _describe(_main[n]) for n in names))


def _make_tool(name):
    def tool(*args):
        try:
            payload = json.loads(json.dumps(list(args)))
        except (TypeError, ValueError):
            raise TypeError(name + ': its arguments must be JSON values') from None
        return json.loads(_one({'name': 'tool', 'tool': name, 'args': payload}))

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
    return type(error).__name__ + (': ' + text if text else '') + _where(error)


def _outcome(error=None):
    outcome = {'output': _out.text(), 'outputChars': _out.total}
    if error is not None:
        outcome['error'] = error
    if _state['final'] is not None:
        outcome['final'] = _state['final']
    return json.dumps(outcome)


def _install_names():
    """(Re)binds the REPL's names, so a cell that overwrote one gets it back next time."""
    for fn in (llm_query, llm_query_batched, rlm_query, rlm_query_batched, budget, FINAL, FINAL_VAR, SHOW_VARS):
        _main[fn.__name__] = fn
    _main['print'] = builtins.print
    _main['history'] = list(_state['history'])
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
    except BaseException as error:
        return _outcome(_describe_error(error))
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


def variable(name):
    """A variable's value as answer text, for a FINAL_VAR written outside code."""
    try:
        if isinstance(name, str) and name in _main and _is_user_name(name):
            return json.dumps({'found': True, 'value': _answer_text(_main[name])})
    except BaseException:
        pass
    return json.dumps({'found': False, 'names': [n for n in _user_names() if n != 'context']})


def load_context(path, fmt):
    """Reads the context into `context`: text as one str, JSON as Python data."""
    with open(path, encoding='utf-8') as file:
        _main['context'] = file.read() if fmt == 'text' else json.load(file)


def configure(max_output_chars, tools):
    _CONFIG['max_output_chars'] = max_output_chars
    _CONFIG['tools'] = list(tools)
    _install_names()


_BASELINE = {'llm_query', 'llm_query_batched', 'rlm_query', 'rlm_query_batched', 'budget', 'FINAL', 'FINAL_VAR', 'SHOW_VARS', 'print', 'history'}
