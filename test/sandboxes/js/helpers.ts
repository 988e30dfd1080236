/**
 * Shared pieces of the JavaScript sandbox tests: a real bridge (async functions on timers that
 * record what they were called with) and a sandbox maker that always disposes what it made.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { JsSandbox, type JsSandboxOptions } from '../../../src/sandboxes/js/js-sandbox.ts';
import type { Bridge, ContextValue } from '../../../src/sandboxes/sandbox.ts';

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

export interface BridgeOptions {
  /** Milliseconds each call takes (default 5); prompts containing HANG wait until aborted. */
  delayMs?: number | ((prompt: string) => number);
  /** What budget() returns. */
  budget?: unknown;
}

export interface RecordingBridge {
  bridge: Bridge;
  calls: RecordedCall[];
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
    rlm_query: (prompt, context, signal) =>
      serve({ kind: 'rlm_query', prompt, context, signal, started: performance.now() }, `sub:${prompt}`),
    budget: () => options.budget ?? { iterations: 3, maxIterations: 20, tokens: { used: 1200, limit: 100000 } },
  };
  return {
    bridge,
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

export interface SandboxSetup extends Partial<Omit<JsSandboxOptions, 'bridge' | 'context'>> {
  context?: ContextValue;
  bridge?: BridgeOptions;
}

/** Makes a sandbox on a recording bridge, runs `body`, and disposes the sandbox whatever happens. */
export async function withSandbox<T>(
  setup: SandboxSetup,
  body: (sandbox: JsSandbox, recorded: RecordingBridge) => Promise<T>,
): Promise<T> {
  const { context = 'the context text', bridge: bridgeOptions, ...rest } = setup;
  const recorded = recordingBridge(bridgeOptions);
  const sandbox = await JsSandbox.create({ context, bridge: recorded.bridge, cellTimeoutMs: 2000, ...rest });
  try {
    return await body(sandbox, recorded);
  } finally {
    sandbox.dispose();
  }
}

/** Runs a cell and fails with the cell's own error text if it reported one. */
export async function runOk(sandbox: JsSandbox, code: string, timeoutMs?: number): Promise<string> {
  const result = await sandbox.run(code, timeoutMs === undefined ? {} : { timeoutMs });
  if (result.error !== undefined) throw new Error(`cell failed: ${result.error}\n--- code ---\n${code}`);
  return result.output;
}

export const sleep = (ms: number): Promise<void> => delay(ms);
