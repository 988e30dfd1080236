/**
 * Shared pieces of the sandbox tests, whatever the language: a real bridge (async functions on
 * timers that record what they were called with), a maker for either sandbox, and `runOk`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { after, before } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { JsSandbox } from '../../src/sandboxes/host/js-sandbox.ts';
import { PythonSandbox } from '../../src/sandboxes/host/python-sandbox.ts';
import type { Bridge, ContextValue, Sandbox, SandboxOptions } from '../../src/sandboxes/sandbox.ts';

export type Language = Sandbox['language'];
export const LANGUAGES: readonly Language[] = ['javascript', 'python'];

export interface RecordedCall {
  kind: 'llm_query' | 'rlm_query';
  prompt: unknown;
  options?: unknown;
  context?: unknown;
  signal: AbortSignal;
  started: number;
  ended?: number;
  /** How the call ended: its answer, or the message it failed with. */
  outcome?: { ok: true; value: string } | { ok: false; message: string };
}

export interface RecordedToolCall {
  name: string;
  args: unknown[];
}

export interface BridgeOptions {
  /** Milliseconds each call takes (default 5); prompts containing HANG wait until aborted. */
  delayMs?: number | ((prompt: string) => number);
  /** What budget() returns. */
  budget?: unknown;
  /** The conversation `history()` returns: the array itself, so a test can add to it between cells. */
  history?: unknown[];
  /** The user's tools, by name: what each returns (or throws) for the arguments it gets. */
  tools?: Record<string, (...args: unknown[]) => unknown>;
}

export interface RecordingBridge {
  bridge: Bridge;
  calls: RecordedCall[];
  toolCalls: RecordedToolCall[];
  /** Most calls in flight at one moment. */
  readonly maxInFlight: number;
}

/**
 * A bridge made of real async functions. A prompt containing FAIL is refused with an error; one
 * containing HANG never answers until its signal aborts. Answers are `answer:<prompt>` (llm) and
 * `sub:<prompt>` (rlm).
 */
export function recordingBridge(options: BridgeOptions = {}): RecordingBridge {
  const calls: RecordedCall[] = [];
  const toolCalls: RecordedToolCall[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const wait = (prompt: string) => {
    if (prompt.includes('HANG')) return 60_000;
    const d = options.delayMs ?? 5;
    return typeof d === 'number' ? d : d(prompt);
  };
  const serve = async (call: RecordedCall, answer: string): Promise<string> => {
    calls.push(call);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      // `ref: false`: a call nobody aborts must not keep the test process alive.
      await delay(wait(String(call.prompt)), undefined, { signal: call.signal, ref: false });
      if (String(call.prompt).includes('FAIL')) throw new Error(`the model refused "${String(call.prompt)}"`);
      call.outcome = { ok: true, value: answer };
      return answer;
    } catch (error) {
      call.outcome = { ok: false, message: error instanceof Error ? error.message : String(error) };
      throw error;
    } finally {
      inFlight--;
      call.ended = performance.now();
    }
  };
  const bridge: Bridge = {
    llm_query: (prompt, opts, signal) =>
      serve({ kind: 'llm_query', prompt, options: opts, signal, started: performance.now() }, `answer:${prompt}`),
    rlm_query: (prompt, context, opts, signal) =>
      serve({ kind: 'rlm_query', prompt, context, options: opts, signal, started: performance.now() }, `sub:${prompt}`),
    budget: () => options.budget ?? { iterations: 3, maxIterations: 20, tokens: { used: 1200, limit: 100000 } },
  };
  const history = options.history;
  if (history) bridge.history = () => history;
  const tools = options.tools;
  if (tools) {
    bridge.tool = async (name, args) => {
      toolCalls.push({ name, args });
      await delay(1);
      const tool = tools[name];
      if (!tool) throw new Error(`no tool named ${name}`);
      return tool(...args);
    };
  }
  return {
    bridge,
    calls,
    toolCalls,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

/** Most of `calls` in flight at one moment, from when each started and ended. */
export function maxOverlap(calls: readonly RecordedCall[]): number {
  const events = calls.flatMap((c) => [
    { at: c.started, step: 1 },
    { at: c.ended ?? Infinity, step: -1 },
  ]);
  // At equal times an end comes before a start: touching is not overlapping.
  events.sort((a, b) => a.at - b.at || a.step - b.step);
  let now = 0;
  let most = 0;
  for (const event of events) {
    now += event.step;
    most = Math.max(most, now);
  }
  return most;
}

export interface SandboxSetup extends Partial<Omit<SandboxOptions, 'bridge' | 'context'>> {
  context?: ContextValue;
  bridge?: BridgeOptions;
}

/** A sandbox of the given language on a recording bridge; the caller disposes it. */
export async function createSandbox(
  language: Language,
  setup: SandboxSetup = {},
): Promise<{ sandbox: Sandbox; recorded: RecordingBridge }> {
  const { context = 'the context text', bridge: bridgeOptions, ...rest } = setup;
  const recorded = recordingBridge(bridgeOptions);
  if (bridgeOptions?.tools && !rest.tools) rest.tools = Object.keys(bridgeOptions.tools);
  const options = { context, bridge: recorded.bridge, cellTimeoutMs: 2000, ...rest };
  const sandbox = language === 'javascript' ? await JsSandbox.create(options) : await PythonSandbox.create(options);
  return { sandbox, recorded };
}

/** Runs a cell and fails with the cell's own error text if it reported one. */
export async function runOk(sandbox: Pick<Sandbox, 'run'>, code: string, timeoutMs?: number): Promise<string> {
  const result = await sandbox.run(code, timeoutMs === undefined ? {} : { timeoutMs });
  if (result.error !== undefined) throw new Error(`cell failed: ${result.error}\n--- code ---\n${code}`);
  return result.output;
}

export const sleep = (ms: number): Promise<void> => delay(ms);

export const isCancelled = (error: unknown): boolean => (error as { code?: unknown }).code === 'RLM_CANCELLED';

/** A sandbox shared by the cases of the describe block this is called in. */
export function sharedSandbox(language: Language, setup: SandboxSetup): { readonly sandbox: Sandbox; readonly recorded: RecordingBridge } {
  let made: { sandbox: Sandbox; recorded: RecordingBridge } | undefined;
  before(async () => {
    made = await createSandbox(language, setup);
  });
  after(() => made?.sandbox.dispose());
  return {
    get sandbox() {
      return made!.sandbox;
    },
    get recorded() {
      return made!.recorded;
    },
  };
}

/** The REPL processes this test process started whose entry matches, with their command lines and environments (Linux). */
export function replProcesses(entry: RegExp): Array<{ pid: number; argv: string[]; env: string }> {
  const found = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (!argv.some((a) => entry.test(a))) continue;
      found.push({ pid: Number(pid), argv, env: readFileSync(`/proc/${pid}/environ`, 'utf8') });
    } catch {
      // ended while we looked
    }
  }
  return found;
}
