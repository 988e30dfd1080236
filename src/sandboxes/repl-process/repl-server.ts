/**
 * Realm: the REPL process (repl-process/): a Node process with an empty environment, Node's
 * permission model and the OS wall (host/process-wall.ts). Files here hold an engine that runs
 * model code; they reach the run only through the wire (fd 3), and may read rlm's code, their
 * engine's package and their private folder, nothing else.
 *
 * The REPL process's side of the wire, whatever the language: it holds the REPL (a V8 isolate,
 * or Pyodide in a worker thread), runs the cells it is sent, and turns the REPL's host calls into
 * messages to the run's process. Nothing model code does to its engine can take the run down
 * with it. The process is started with an empty environment and Node's permission model: it may
 * read only rlm's own code, its engine and its context folder, and write nothing.
 * The engine's calls cross to the run's process through calls-to-host.ts.
 */
import { Socket } from 'node:net';
import { RlmError } from '../../errors.ts';
import { encodeFrame, readFrames } from '../shared/frames.ts';
import { boundedResult, fromReplFrame, TO_REPL_LIMITS, type FromRepl, type ToRepl, type VariableAnswer } from '../shared/repl-messages.ts';
import { cutError, MAX_ANSWER_CHARS } from '../limits.ts';
import type { Sandbox, SandboxOptions, SandboxSettings } from '../sandbox.ts';
import { bridgeToHost, CallsToHost, type RunState } from './calls-to-host.ts';
import type { ContextFile } from '../shared/context-file.ts';

/** What the REPL process makes its engine with: the sandbox's options, and its contexts in files (the first is `context_0`). */
export type EngineOptions = Omit<SandboxOptions, 'context'> & { contextFiles: ContextFile[] };

/** An engine the REPL process serves: a sandbox whose further contexts arrive in files, never as values. */
export interface Engine extends Omit<Sandbox, 'addContext'> {
  /** Loads the context in `file` as the next `context_<n>`, keeping every variable; resolves with n. */
  addContextFile(file: ContextFile): Promise<number>;
}

/** The wire to the run's process (fork-repl.ts). */
const WIRE_FD = 3;

/** The wire to the run's process, opened once per process. */
let wire: Socket | undefined;
function openWire(): Socket {
  wire ??= new Socket({ fd: WIRE_FD, readable: true, writable: true });
  return wire;
}

/** Sends a message to the run's process. */
export function sendToHost(message: FromRepl): void {
  const { header, payload } = fromReplFrame(message);
  const socket = openWire();
  for (const part of encodeFrame(header, payload)) socket.write(part);
}

/** Serves one REPL for the run's process, made by `create` when the context arrives. */
export function serveRepl(create: (options: EngineOptions) => Promise<Engine>): void {
  const send = sendToHost;
  let repl: Engine | undefined;
  let settings: SandboxSettings | undefined;
  const state: RunState = { budget: null, history: [] };
  let calls = new CallsToHost(1, send);
  const runs = new Map<number, AbortController>();
  const bridge = bridgeToHost(() => calls, state);

  const handle = async (message: ToRepl): Promise<void> => {
    switch (message.type) {
      case 'init': {
        try {
          settings = message.settings;
          calls = new CallsToHost(settings.maxCallsInFlight, send);
          repl = await create({ contextFiles: message.contexts, bridge, ...message.settings });
          send({ type: 'ready' });
        } catch (error) {
          send({ type: 'init-error', message: cutError(error instanceof Error ? error.message : String(error)) });
        }
        return;
      }
      case 'run': {
        state.budget = message.budget;
        state.history.length = message.history.from;
        state.history.push(...message.history.messages);
        const controller = new AbortController();
        runs.set(message.runId, controller);
        calls.startCell();
        try {
          const result = await repl!.run(message.code, { timeoutMs: message.timeoutMs, signal: controller.signal });
          // Whatever the cell left running ends with it, before the run's process hears it ended.
          calls.endCell(() => new Error('the cell that made this call had ended'));
          send({ type: 'result', runId: message.runId, result: boundedResult(result, settings!.maxOutputChars) });
        } catch (error) {
          calls.endCell(() => new RlmError('RLM_CANCELLED', 'cancelled'));
          const cancelled = RlmError.isInstance(error) && error.code === 'RLM_CANCELLED';
          send({
            type: 'run-error',
            runId: message.runId,
            message: cutError(error instanceof Error ? error.message : String(error)),
            cancelled,
          });
        } finally {
          runs.delete(message.runId);
        }
        return;
      }
      case 'cancel':
        runs.get(message.runId)?.abort(new RlmError('RLM_CANCELLED', 'cancelled'));
        return;
      case 'deliver':
        state.budget = message.budget;
        calls.deliver(message.callId, message.ok, message.payload);
        return;
      case 'variable':
        send({ type: 'variable-result', requestId: message.requestId, value: boundedVariable(await repl!.variable(message.name)) });
        return;
      case 'add-context':
        try {
          if (runs.size > 0) throw new Error('a cell is running: a context is added between cells');
          await repl!.addContextFile(message.context);
          send({ type: 'context-added', requestId: message.requestId });
        } catch (error) {
          send({
            type: 'context-error',
            requestId: message.requestId,
            message: cutError(error instanceof Error ? error.message : String(error)),
          });
        }
        return;
    }
  };

  const fail = (error: unknown) => {
    process.stderr.write(`repl process: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(70);
  };
  const socket = openWire();
  readFrames(
    socket,
    TO_REPL_LIMITS,
    (frame) => void handle(frame.header as ToRepl).catch(fail),
    (error) => fail(error),
  );
  // The run's process is gone: nothing is left to serve.
  socket.on('end', () => process.exit(0));
  socket.on('close', () => process.exit(0));
  socket.on('error', () => process.exit(0));
  // Ctrl-C in a terminal reaches the whole process group; the run decides when the REPL ends.
  process.on('SIGINT', () => undefined);
}

/** A FINAL_VAR answer longer than any answer may be is cut, and says so. */
function boundedVariable(answer: VariableAnswer): VariableAnswer {
  if (!answer.found || answer.value.length <= MAX_ANSWER_CHARS) return answer;
  return {
    found: true,
    value: `${answer.value.slice(0, MAX_ANSWER_CHARS)} [... ${(answer.value.length - MAX_ANSWER_CHARS).toLocaleString('en-US')} more characters of this answer cut]`,
  };
}
