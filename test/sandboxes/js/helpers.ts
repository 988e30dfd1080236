/**
 * Shared pieces of the JavaScript sandbox tests: the recording bridge of ../support.ts and a
 * JsSandbox maker that always disposes what it made.
 */
import { JsSandbox, type JsSandboxOptions } from '../../../src/sandboxes/js/js-sandbox.ts';
import type { ContextValue } from '../../../src/sandboxes/sandbox.ts';
import { recordingBridge, type BridgeOptions, type RecordingBridge } from '../support.ts';

export { recordingBridge, runOk, sleep, type BridgeOptions, type RecordedCall, type RecordingBridge } from '../support.ts';

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
