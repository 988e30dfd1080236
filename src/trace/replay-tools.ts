/**
 * The user's tools on replay: functions with the recorded names and descriptions (so the system
 * prompt is the same) whose results are the recorded ones. A call is matched by its tool's name
 * and its arguments (as JSON), in the order the trace has them; a tool that threw throws the same
 * message again. A call the trace does not have is a divergence: it fails in the REPL, as a tool
 * error would, and is kept so that the replay reports it rather than a later symptom.
 *
 * A tool is not told which RLM of the tree called it, so calls are not matched by run: two
 * concurrent RLMs calling one tool with the same arguments take the recorded results in turn.
 */
import { RlmError } from '../errors.ts';
import type { Tool } from '../rlm.ts';
import type { RlmEvent, RunSettings } from './events.ts';

type Recorded = Pick<Extract<RlmEvent, { type: 'tool-call' }>, 'result' | 'error'>;

export interface ReplayedTools {
  tools: Record<string, Tool>;
  /** The first call the trace did not have, if any. */
  divergence(): RlmError | undefined;
}

export function replayTools(settings: Pick<RunSettings, 'tools'>, events: readonly RlmEvent[]): ReplayedTools {
  const recorded = new Map<string, Recorded[]>();
  // Served in the order the calls were made, which concurrent calls do not end in.
  const calls = events.filter((event) => event.type === 'tool-call').sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  for (const event of calls) {
    const key = callKey(event.name, event.args);
    const list = recorded.get(key) ?? [];
    list.push(event);
    recorded.set(key, list);
  }
  let first: RlmError | undefined;
  const tools: Record<string, Tool> = {};
  for (const { name, description } of settings.tools ?? []) {
    tools[name] = {
      description,
      run: (...args: unknown[]) => {
        const call = recorded.get(callKey(name, args))?.shift();
        if (!call) {
          const error = new RlmError(
            'RLM_REPLAY_MISMATCH',
            `the replayed run called ${name}(${shortArgs(args)}), a call the trace does not have`,
          );
          first ??= error;
          throw error;
        }
        if (call.error !== undefined) throw new Error(call.error);
        return call.result;
      },
    };
  }
  return { tools, divergence: () => first };
}

/** Arguments as they crossed from the REPL: JSON data, so their JSON text identifies them. */
function callKey(name: string, args: readonly unknown[]): string {
  return `${name}\u0000${JSON.stringify(args)}`;
}

function shortArgs(args: readonly unknown[]): string {
  const text = JSON.stringify(args).slice(1, -1);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
