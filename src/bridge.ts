/**
 * What model code in one RLM's REPL can call on the host: sub-calls to a model, child RLMs, the
 * budget, the conversation's history and the user's tools. Every call is aborted with the cell
 * that made it and with the RLM itself.
 */
import { RlmError } from './errors.ts';
import type { Message } from './models/model.ts';
import type { NodeInput, NodeOutcome } from './node.ts';
import type { RunTree } from './run-tree.ts';
import { checkFinal, schemaCheck, type JsonSchema, type SchemaCheck } from './schema/index.ts';
import type { Bridge, ChildOptions, JsonValue } from './sandboxes/index.ts';

/** The RLM whose REPL the bridge serves. */
export interface BridgeOwner {
  runId: string;
  depth: number;
  /** Aborts when this RLM must stop. */
  signal: AbortSignal;
  /** Its conversation so far, compacted turns included. */
  history(): readonly Message[];
}

/** Runs a child RLM of the tree (the loop itself, passed in so that this file does not import it). */
export type StartChild = (input: NodeInput) => Promise<NodeOutcome>;

export function bridgeFor(tree: RunTree, owner: BridgeOwner, startChild: StartChild): Bridge {
  const { config } = tree;
  const { depth, runId } = owner;
  const sub = tree.modelAt(depth + 1, 'sub');
  // At the deepest level (at the default depth 1, at once) a recursive query is a plain model call.
  const canRecurse = depth + 1 < config.maxDepth;

  const ask = async (prompt: string, model: string | undefined, cellSignal: AbortSignal): Promise<string> => {
    if (config.maxDepth === 0) throw new RlmError('RLM_USAGE', 'sub-calls are off in this run (max depth 0): work with the REPL alone');
    const chosen = model && model !== sub.id ? sub.withId(model) : sub;
    const reply = await chosen.generate({
      messages: [{ role: 'user', content: prompt }],
      signal: AbortSignal.any([owner.signal, cellSignal]),
      trace: { runId, from: 0 },
    });
    return reply.text;
  };

  const child = async (prompt: string, context: JsonValue | undefined, options: ChildOptions, cellSignal: AbortSignal): Promise<string> => {
    const signal = AbortSignal.any([owner.signal, cellSignal]);
    const schema = options.schema === undefined ? undefined : childSchema(options.schema);
    const input: NodeInput = {
      depth: depth + 1,
      // Without a context of its own, the child works over the prompt itself.
      context: context === undefined ? prompt : context,
      query: context === undefined ? 'Do what `context` asks and answer it.' : prompt,
      signal,
      parentRunId: runId,
      ...(options.model ? { model: options.model } : {}),
      ...(schema ? { schema } : {}),
    };
    const outcome = await tree.child(depth + 1, () => startChild(input), signal);
    // With a schema, the checked value crosses as JSON, and the REPL gives model code the value itself.
    if (outcome.answer !== undefined) {
      if (!schema) return outcome.answer;
      return JSON.stringify(outcome.value !== undefined ? outcome.value : outcome.answer) ?? 'null';
    }
    throw new Error(`the child RLM ended without an answer (${outcome.status}${outcome.error ? `: ${outcome.error.message}` : ''})`);
  };

  /** At the deepest level, a child is one model call: with a schema, its reply is asked for as JSON and checked. */
  const plain = async (prompt: string, context: JsonValue | undefined, options: ChildOptions, cellSignal: AbortSignal): Promise<string> => {
    const question = context === undefined ? prompt : `${prompt}\n\n${typeof context === 'string' ? context : JSON.stringify(context)}`;
    if (options.schema === undefined) return ask(question, options.model, cellSignal);
    const schema = childSchema(options.schema);
    const reply = await ask(`${question}\n\n${jsonReplyInstructions(schema)}`, options.model, cellSignal);
    const checked = await checkFinal(schema, unfenced(reply));
    if (!checked.ok) throw new Error(`the reply did not match the schema: ${checked.issues.join('; ')}`);
    return JSON.stringify(checked.value) ?? 'null';
  };

  return {
    llm_query: (prompt, options, cellSignal) => ask(prompt, options.model, cellSignal),
    rlm_query: (prompt, context, options, cellSignal) =>
      canRecurse ? child(prompt, context, options, cellSignal) : plain(prompt, context, options, cellSignal),
    budget: () => tree.budget.snapshot(),
    history: () => [...owner.history()],
    tool: (name, args) => callTool(tree, owner, name, args),
  };
}

/**
 * A child's answer schema, as model code gave it (JSON data, checked for size where it crossed).
 * One that is not a valid JSON Schema fails the call with the validator's reason.
 */
function childSchema(schema: JsonValue): SchemaCheck<unknown> {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw new Error(
      `rlm_query: the schema must be a JSON Schema object, like { type: 'object', properties: {...} }; got ${describe(schema)}`,
    );
  }
  try {
    return schemaCheck(schema as JsonSchema);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^the answer schema\b/, 'the schema');
    throw new Error(`rlm_query: ${reason}`);
  }
}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** What a plain model call is told when its answer must match a schema. */
function jsonReplyInstructions(schema: SchemaCheck<unknown>): string {
  return `Answer with JSON only, no prose: one value matching this JSON Schema:\n\`\`\`json\n${schema.describe()}\n\`\`\``;
}

/** A reply's JSON without the ```json fence a model often puts around it. */
function unfenced(reply: string): string {
  const fenced = /^\s*```[\w-]*[ \t]*\r?\n([\s\S]*?)\r?\n[ \t]*```\s*$/.exec(reply);
  return fenced ? fenced[1]! : reply.trim();
}

/** Runs one of the user's tools, recorded with its result so that a replay can serve the same answers without it. */
async function callTool(tree: RunTree, owner: BridgeOwner, name: string, args: unknown[]): Promise<unknown> {
  const tool = tree.config.tools[name];
  if (!tool) throw new Error(`no tool named ${name}`);
  const started = performance.now();
  const seq = tree.nextToolCall();
  const call = { type: 'tool-call', seq, runId: owner.runId, depth: owner.depth, name, args } as const;
  try {
    const result = await tool.run(...args);
    tree.emit({ ...call, result: asJsonData(result), durationMs: performance.now() - started });
    return result;
  } catch (error) {
    tree.emit({ ...call, error: error instanceof Error ? error.message : String(error), durationMs: performance.now() - started });
    throw error;
  }
}

/** What a tool's result becomes when it crosses into the REPL as JSON (undefined stays absent). */
function asJsonData(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return String(value);
  }
}
