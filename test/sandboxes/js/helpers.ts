/**
 * Shared pieces of the JavaScript sandbox tests: the recording bridge of ../support.ts and a
 * JsSandbox maker that always disposes what it made.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { IsolateRepl } from '../../../src/sandboxes/repl-process/isolate-repl.ts';
import { JsSandbox, type JsSandboxOptions } from '../../../src/sandboxes/host/js-sandbox.ts';
import type { ContextValue, SandboxSettings } from '../../../src/sandboxes/sandbox.ts';
import { recordingBridge, type BridgeOptions, type RecordingBridge } from '../support.ts';

export { recordingBridge, runOk, sleep, type BridgeOptions, type RecordedCall, type RecordingBridge } from '../support.ts';

export interface SandboxSetup extends Partial<Omit<JsSandboxOptions, 'bridge' | 'context'>> {
  context?: ContextValue;
  bridge?: BridgeOptions;
}

/** Makes a sandbox on a recording bridge, runs `body`, and disposes the sandbox whatever happens. */
export async function withSandbox<T>(setup: SandboxSetup, body: (sandbox: JsSandbox, recorded: RecordingBridge) => Promise<T>): Promise<T> {
  const { context = 'the context text', bridge: bridgeOptions, ...rest } = setup;
  const recorded = recordingBridge(bridgeOptions);
  const sandbox = await JsSandbox.create({ context, bridge: recorded.bridge, cellTimeoutMs: 2000, ...rest });
  try {
    return await body(sandbox, recorded);
  } finally {
    sandbox.dispose();
  }
}

export interface ReplSetup extends Partial<SandboxSettings> {
  context?: ContextValue;
  bridge?: BridgeOptions;
}

/**
 * Like `withSandbox`, but the isolate runs in this process (IsolateRepl, what the REPL process
 * holds): for what the isolate's own walls do, apart from the process around it.
 */
export async function withRepl<T>(setup: ReplSetup, body: (repl: IsolateRepl, recorded: RecordingBridge) => Promise<T>): Promise<T> {
  const { context = 'the context text', bridge: bridgeOptions, ...rest } = setup;
  const recorded = recordingBridge(bridgeOptions);
  if (bridgeOptions?.tools && !rest.tools) rest.tools = Object.keys(bridgeOptions.tools);
  const repl = await IsolateRepl.create({ context, bridge: recorded.bridge, cellTimeoutMs: 2000, ...rest });
  try {
    return await body(repl, recorded);
  } finally {
    repl.dispose();
  }
}

/**
 * Waits until every child process of this test (its REPL processes, a spare the warm pool started
 * included) has used no CPU for 300 ms: work a cell left running has ended (run out of memory,
 * say). Observed from outside, as the host cannot. All of them, not the newest: a spare started
 * after the sandbox is newer than the REPL that does the work.
 */
export async function untilReplIdle(deadlineMs = 30_000): Promise<void> {
  const children = readdirSync(`/proc/${process.pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
  // utime and stime, fields 14 and 15 of /proc/<pid>/stat (after the command name in parentheses);
  // a process that has ended counts as idle.
  const cpu = () =>
    children
      .map((pid) => {
        try {
          return readFileSync(`/proc/${pid}/stat`, 'utf8')
            .split(') ')[1]!
            .split(' ')
            .slice(11, 13)
            .map(Number)
            .reduce((a, b) => a + b, 0);
        } catch {
          return -1;
        }
      })
      .join(',');
  const until = performance.now() + deadlineMs;
  let last = cpu();
  let still = 0;
  while (still < 3) {
    if (performance.now() > until) throw new Error(`the REPL processes ${children.join(', ')} were still busy after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = cpu();
    still = now === last ? still + 1 : 0;
    last = now;
  }
}
