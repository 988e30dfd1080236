/**
 * The REPL process's side of the IPC channel, whatever the language: it holds the REPL (a V8
 * isolate, or Pyodide in a worker thread), runs the cells it is sent, and turns the REPL's host
 * calls into messages to the run's process. Nothing model code does to its engine can take the
 * run down with it. The process is started with an empty environment and Node's permission
 * model: it may read only rlm's own code, its engine and its context folder, and write nothing.
 */
import { RlmError } from '../errors.ts';
import type { FromRepl, ReplSettings, ToRepl } from './ipc.ts';
import type { Bridge, Sandbox } from './sandbox.ts';
import type { ContextFile } from './context-file.ts';

export interface ReplFactoryOptions extends ReplSettings {
  contextFile: ContextFile;
  bridge: Bridge;
}

/** Serves one REPL for the run's process, made by `create` when the context arrives. */
export function serveRepl(create: (options: ReplFactoryOptions) => Promise<Sandbox>): void {
  const send = (message: FromRepl) => process.send?.(message);
  let repl: Sandbox | undefined;
  let budget: unknown = null;
  /** The conversation, sent as what is new since the last cell. */
  const history: unknown[] = [];
  let nextCallId = 0;
  /** Calls waiting on the run's process: sub-calls answer with text, tools with JSON data. */
  const calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const runs = new Map<number, AbortController>();

  /** Sends a call to the run's process and waits for its answer; aborting the signal cancels it there too. */
  const call = <T>(signal: AbortSignal, message: (callId: number) => FromRepl): Promise<T> =>
    new Promise((resolve, reject) => {
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

  const bridge: Bridge = {
    llm_query: (prompt, options, signal) => call<string>(signal, (callId) => ({ type: 'call', callId, name: 'llm_query', prompt, options, context: null })),
    rlm_query: (prompt, context, options, signal) => call<string>(signal, (callId) => ({ type: 'call', callId, name: 'rlm_query', prompt, options, context: context ?? null })),
    budget: () => budget,
    history: () => history,
    tool: (tool, args, signal) => call<unknown>(signal, (callId) => ({ type: 'tool-call', callId, tool, args })),
  };

  const handle = async (message: ToRepl): Promise<void> => {
    switch (message.type) {
      case 'init': {
        try {
          const contextFile = { path: message.contextPath, format: message.contextKind };
          repl = await create({ contextFile, bridge, ...message.settings });
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
  };

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
}
