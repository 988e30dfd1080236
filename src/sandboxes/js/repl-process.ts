/**
 * Entry point of the REPL process. It holds the V8 isolate, so that nothing model code does to
 * V8 — some allocations abort the whole process instead of failing the isolate — can take the
 * run down with it. It is started with an empty environment and Node's permission model: it may
 * read only rlm's own code and the one context file, write nothing, start nothing.
 */
import { RlmError } from '../../errors.ts';
import type { Bridge } from '../sandbox.ts';
import type { FromRepl, ToRepl } from './ipc.ts';
import { IsolateRepl } from './isolate-repl.ts';

const send = (message: FromRepl) => process.send?.(message);
let repl: IsolateRepl | undefined;
let budget: unknown = null;
/** The conversation, sent as what is new since the last cell. */
const history: unknown[] = [];
let nextCallId = 0;
/** Calls waiting on the run's process: sub-calls answer with text, tools with JSON data. */
const calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
const runs = new Map<number, AbortController>();

const bridge: Bridge = {
  llm_query: (prompt, options, signal) => call<string>(signal, (callId) => ({ type: 'call', callId, name: 'llm_query', prompt, options, context: null })),
  rlm_query: (prompt, context, signal) => call<string>(signal, (callId) => ({ type: 'call', callId, name: 'rlm_query', prompt, options: {}, context: context ?? null })),
  budget: () => budget,
  history: () => history,
  tool: (tool, args, signal) => call<unknown>(signal, (callId) => ({ type: 'tool-call', callId, tool, args })),
};

/** Sends a call to the run's process and waits for its answer; aborting the signal cancels it there too. */
function call<T>(signal: AbortSignal, message: (callId: number) => FromRepl): Promise<T> {
  return new Promise((resolve, reject) => {
    const callId = ++nextCallId;
    const onAbort = () => {
      calls.delete(callId);
      const reason: unknown = signal.reason;
      send({ type: 'call-cancel', callId, reason: reason instanceof Error ? reason.message : 'cancelled' });
      reject(reason instanceof Error ? reason : new RlmError('RLM_CANCELLED', 'cancelled'));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    calls.set(callId, {
      resolve: (value) => (signal.removeEventListener('abort', onAbort), resolve(value as T)),
      reject: (error) => (signal.removeEventListener('abort', onAbort), reject(error)),
    });
    send(message(callId));
  });
}

async function handle(message: ToRepl): Promise<void> {
  switch (message.type) {
    case 'init': {
      try {
        // The isolate reads the file itself (and again if it is rebuilt), chunk by chunk.
        const contextFile = { path: message.contextPath, format: message.contextKind };
        repl = await IsolateRepl.create({ contextFile, bridge, ...message.settings });
        send({ type: 'ready' });
      } catch (error) {
        send({ type: 'init-error', message: error instanceof Error ? error.message : String(error) });
      }
      return;
    }
    case 'run': {
      budget = message.budget;
      history.length = message.history.from;
      history.push(...message.history.messages);
      const controller = new AbortController();
      runs.set(message.runId, controller);
      try {
        const result = await repl!.run(message.code, { timeoutMs: message.timeoutMs, signal: controller.signal });
        send({ type: 'result', runId: message.runId, result });
      } catch (error) {
        const cancelled = RlmError.isInstance(error) && error.code === 'RLM_CANCELLED';
        send({ type: 'run-error', runId: message.runId, message: error instanceof Error ? error.message : String(error), cancelled });
      } finally {
        runs.delete(message.runId);
      }
      return;
    }
    case 'cancel':
      runs.get(message.runId)?.abort(new RlmError('RLM_CANCELLED', 'cancelled'));
      return;
    case 'deliver': {
      budget = message.budget;
      const pending = calls.get(message.callId);
      calls.delete(message.callId);
      if (message.ok) pending?.resolve(message.payload);
      else pending?.reject(new Error(String(message.payload)));
      return;
    }
    case 'variable':
      send({ type: 'variable-result', requestId: message.requestId, value: await repl!.variable(message.name) });
      return;
  }
}

process.on('message', (message: ToRepl) => {
  handle(message).catch((error: unknown) => {
    process.stderr.write(`repl process: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(70);
  });
});
// The run's process is gone: nothing is left to serve.
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal reaches the whole process group; the run decides when the REPL ends.
process.on('SIGINT', () => undefined);
