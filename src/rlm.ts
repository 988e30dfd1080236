/**
 * The recursive loop of the paper: the context goes into a REPL once; the root model sees only
 * metadata and writes code turn by turn; it reads a truncated view of what the code printed and
 * calls models from inside that code; it ends by handing back an answer from code.
 */
import type { BudgetLimits, UsageReport } from './budget.ts';
import { asCancelled, BudgetExceededError, RlmError } from './errors.ts';
import type { MemoStore } from './models/memo.ts';
import type { GenerateRequest, Message, Model } from './models/model.ts';
import { refuseUnpricedCostLimit, type PriceTable } from './models/prices.ts';
import { contextWindowOf } from './models/windows.ts';
import type { RetryOptions } from './models/retry.ts';
import {
  contextMetadata,
  firstTurnMessage,
  forceFinalMessage,
  compactedMessage,
  compactionRequest,
  systemPrompt,
  limitReachedMessage,
  noCodeMessage,
  outputsMessage,
  unknownFinalVarMessage,
  type CellReport,
} from './prompt.ts';
import { lastLineFinal, parseReply, stripFences, type TextFinal } from './protocol.ts';
import { JsSandbox } from './sandboxes/index.ts';
import { PythonSandbox } from './sandboxes/index.ts';
import { REPL_NAMES, type Bridge, type ContextValue, type Sandbox } from './sandboxes/index.ts';
import { RunTree } from './run-tree.ts';
import { checkOptions } from './check-options.ts';
import { statusOf } from './run-status.ts';
import { MAX_CALLS_IN_FLIGHT } from './sandboxes/index.ts';
import type { EventSink, RlmEvent, RunSettings, RunStatus } from './trace/events.ts';

export interface RLMOptions {
  /** The root model, which writes the code. */
  model: Model;
  /** The model for `llm_query` sub-calls and child RLMs (default: the root model). */
  subModel?: Model;
  /**
   * A model per depth, overriding `model` (depth 0) and `subModel` (deeper): index 2 is used by
   * the RLMs at depth 2 and by the plain sub-calls made from depth 1.
   */
  modelsByDepth?: readonly (Model | undefined)[];
  /** Turns before the model is asked once more for a final answer (default 30). */
  maxIterations?: number;
  /** Characters of each code block's output shown to the model (default 20,000). */
  maxOutputChars?: number;
  /** Time limit per cell in ms, time spent awaiting included (default 60,000). */
  cellTimeoutMs?: number;
  /** Memory cap of the REPL in MiB (default 1,024). */
  memoryLimitMb?: number;
  /**
   * The REPL's language (default 'javascript'). 'python' is the paper's: CPython on Pyodide, offline,
   * where `llm_query` blocks and `llm_query_batched` runs its prompts concurrently.
   */
  repl?: 'javascript' | 'python';
  /** Model requests in flight at once, over the whole run (default 16). */
  concurrency?: number;
  /** Child RLMs running at once at each depth (default 8); each holds a REPL process. */
  maxConcurrentChildren?: number;
  /**
   * Recursion depth. At 1 (the paper's setting, the default) `rlm_query` is a plain model call;
   * at 2 and more it starts a child RLM, down to that many levels; at 0 there are no sub-calls
   * at all: the model has only the REPL (the paper's "RLM without sub-calls").
   */
  maxDepth?: number;
  /** Limits on the whole run: calls, tokens, cost, wall time. */
  limits?: BudgetLimits;
  /** Prices for models the built-in table does not know (USD per million tokens). */
  prices?: PriceTable;
  retry?: RetryOptions;
  /** Replaces the built-in system prompt. */
  systemPrompt?: string;
  /** Output token cap for the root model's replies. */
  maxOutputTokens?: number;
  /**
   * When an RLM's conversation nears this share of its model's window (default 0.8), the model
   * summarises its progress and the conversation restarts from that summary; the whole of it
   * stays readable in the REPL as `history`.
   */
  compactAt?: number;
  /** The root model's context window in tokens, if the built-in table does not know it. */
  contextWindow?: number;
  /** Receives every event of the run. */
  onEvent?: EventSink;
  /**
   * A memo of sub-calls that lasts across runs (see `MemoStore`): identical requests are
   * answered from disk. Requests with temperature > 0 only with `includeSampled`.
   */
  memo?: { store: MemoStore; includeSampled?: boolean };
  /**
   * Your own async functions, callable from the REPL by name (`await search('x')`) at every
   * level. Arguments and results cross as JSON data; the description goes into the system prompt.
   */
  tools?: Record<string, Tool>;
}

export interface Tool {
  /** What it does and how to call it, for the model: `search(query: string) -> top 5 passages`. */
  description: string;
  run: (...args: any[]) => unknown;
}

export interface RunInput {
  /** The long input: a string, a list of strings (e.g. one per file), or any JSON value. */
  context: ContextValue;
  query: string;
  /** Aborting it stops the run (and every call in flight) with status `cancelled`. */
  signal?: AbortSignal;
}

export interface RunResult {
  /** The final answer; undefined when the run ended without one. */
  answer: string | undefined;
  status: RunStatus;
  usage: UsageReport;
  /** Turns the root model took. */
  iterations: number;
  durationMs: number;
  /** Why the run ended without an answer, for statuses other than done and max_iterations. */
  error?: { code: string; message: string };
}

/**
 * A Recursive Language Model.
 *
 * @example
 * const rlm = new RLM({ model: createOpenAIModel({ model: 'gpt-5' }), subModel: createOpenAIModel({ model: 'gpt-5-mini' }) });
 * const { answer } = await rlm.run({ context: bookText, query: 'Who betrays the captain, and why?' });
 */
export class RLM {
  readonly #options: RLMOptions;

  constructor(options: RLMOptions) {
    checkOptions(options);
    this.#options = options;
    // CPython takes over a second to boot: start a spare REPL now, while the caller prepares.
    // With child RLMs, more REPLs will come: keep a spare from the first.
    if (options.repl === 'python') PythonSandbox.warm({ keep: (options.maxDepth ?? 1) > 1 });
  }

  /**
   * Starts a run and hands its events over as they happen, to iterate with `for await`; the
   * iteration ends with the run.
   *
   * @example
   * const { events, result } = rlm.start({ context, query });
   * for await (const event of events) if (event.type === 'cell-end') console.log(event.output);
   * const { answer } = await result;
   */
  start(input: RunInput): { events: AsyncIterable<RlmEvent>; result: Promise<RunResult> } {
    const queue = new EventQueue();
    const options = this.#options;
    const rlm = new RLM({ ...options, onEvent: (event) => (options.onEvent?.(event), queue.push(event)) });
    const result = rlm.run(input).finally(() => queue.close());
    return { events: queue, result };
  }

  async run(input: RunInput): Promise<RunResult> {
    const options = this.#options;
    // A cost limit is only a limit if every call can be costed: refused before the run starts.
    if (options.limits?.maxCostUsd !== undefined) refuseUnpricedCostLimit([options.model.id, (options.subModel ?? options.model).id], options.prices);
    checkToolNames(this.#options.tools);
    const started = performance.now();
    const tree = new RunTree(this.#options, input.signal);
    try {
      const root = await runNode(tree, { depth: 0, context: input.context, query: input.query, signal: tree.signal, settings: tree.settings() });
      let { answer, status } = root;
      const stopped = tree.stopReason;
      // A limit stopped the tree: ask the root once more, within what was held back for it, for its best answer.
      if (answer === undefined && stopped instanceof BudgetExceededError && root.messages.length > 0) {
        answer = await lastAnswer(tree, root, stopped);
        status = stopped.limit === 'time' ? 'timeout' : 'budget';
      }
      // Kept past a stop by a limit for the last request; ended whatever the run's end.
      root.dispose();
      await tree.endChildren();
      const result: RunResult = { answer, status, usage: tree.budget.usage(), iterations: root.iterations, durationMs: performance.now() - started };
      const error = root.error ?? (stopped instanceof BudgetExceededError && status !== 'done' ? stopped : undefined);
      if (error) result.error = { code: error.code, message: error.message };
      tree.emit({ type: 'run-end', runId: root.runId, depth: 0, status, answer, iterations: root.iterations, durationMs: result.durationMs, usage: result.usage });
      return result;
    } finally {
      tree.close();
    }
  }
}

/** Events waiting for a `for await` reader; nothing is dropped, whatever the reader's pace. */
class EventQueue implements AsyncIterable<RlmEvent> {
  readonly #items: RlmEvent[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  push(event: RlmEvent): void {
    this.#items.push(event);
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RlmEvent> {
    for (;;) {
      const next = this.#items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}

interface NodeInput {
  depth: number;
  context: ContextValue;
  query: string;
  /** Aborts when this node must stop: the tree's signal, or the parent's cell for a child. */
  signal: AbortSignal;
  parentRunId?: string;
  /** The root's settings, recorded in its run-start event. */
  settings?: RunSettings;
  /** A model model code chose for this child (`rlm_query(prompt, context, { model })`). */
  model?: string;
}

interface NodeOutcome {
  answer: string | undefined;
  status: RunStatus;
  iterations: number;
  error?: RlmError;
  runId: string;
  /** The node's conversation, for the last request after a limit. */
  messages: Message[];
  /** How many of `messages` earlier calls carried (for the trace's deltas). */
  sent: number;
  /** The REPL, kept for the last request of a run a limit stopped (to read a FINAL_VAR). */
  sandbox: Promise<Sandbox>;
  /** Ends the REPL, if it was kept. */
  dispose: () => void;
}

/** One RLM of the tree, root or child: its own REPL and turns, the tree's budget and limiter. */
async function runNode(tree: RunTree, node: NodeInput): Promise<NodeOutcome> {
  const { options } = tree;
  const { depth, signal } = node;
  const maxIterations = options.maxIterations ?? 30;
  const root = node.model ? tree.modelAt(depth, 'root').withId(node.model) : tree.modelAt(depth, 'root');
  const sub = tree.modelAt(depth + 1, 'sub');
  const canRecurse = depth + 1 < tree.maxDepth;
  const runId = tree.nextRunId();

  const ask = async (prompt: string, model: string | undefined, cellSignal: AbortSignal): Promise<string> => {
    if (tree.maxDepth === 0) throw new RlmError('RLM_USAGE', 'sub-calls are off in this run (max depth 0): work with the REPL alone');
    const chosen = model && model !== sub.id ? sub.withId(model) : sub;
    const reply = await chosen.generate({ messages: [{ role: 'user', content: prompt }], signal: AbortSignal.any([signal, cellSignal]), trace: { runId, from: 0 } });
    return reply.text;
  };
  const child = async (prompt: string, context: unknown, model: string | undefined, cellSignal: AbortSignal): Promise<string> => {
    const childSignal = AbortSignal.any([signal, cellSignal]);
    const outcome = await tree.child(
      depth + 1,
      () =>
        runNode(tree, {
          depth: depth + 1,
          // Without a context of its own, the child works over the prompt itself.
          context: context === undefined ? prompt : context,
          query: context === undefined ? 'Do what `context` asks and answer it.' : prompt,
          signal: childSignal,
          parentRunId: runId,
          ...(model ? { model } : {}),
        }),
      childSignal,
    );
    if (outcome.answer !== undefined) return outcome.answer;
    throw new Error(`the child RLM ended without an answer (${outcome.status}${outcome.error ? `: ${outcome.error.message}` : ''})`);
  };
  const bridge: Bridge = {
    llm_query: (prompt, opts, cellSignal) => ask(prompt, opts.model, cellSignal),
    // At the deepest level (at the default depth 1, at once) a recursive query is a plain model call.
    rlm_query: (prompt, context, opts, cellSignal) =>
      canRecurse
        ? child(prompt, context, opts.model, cellSignal)
        : ask(context === undefined ? prompt : `${prompt}\n\n${typeof context === 'string' ? context : JSON.stringify(context)}`, opts.model, cellSignal),
    budget: () => tree.budget.snapshot(),
    history: () => history,
    tool: async (name, args) => {
      const tool = options.tools?.[name];
      if (!tool) throw new Error(`no tool named ${name}`);
      // Recorded with its result, so that a replay can serve the same answers without the tool.
      const started = performance.now();
      const seq = tree.nextToolCall();
      try {
        const result = await tool.run(...args);
        tree.emit({ type: 'tool-call', seq, runId, depth, name, args, result: asJsonData(result), durationMs: performance.now() - started });
        return result;
      } catch (error) {
        tree.emit({ type: 'tool-call', seq, runId, depth, name, args, error: error instanceof Error ? error.message : String(error), durationMs: performance.now() - started });
        throw error;
      }
    },
  };

  const contextChars = typeof node.context === 'string' ? node.context.length : (JSON.stringify(node.context)?.length ?? 0);
  const started = performance.now();
  tree.emit({
    type: 'run-start',
    runId,
    ...(node.parentRunId ? { parentRunId: node.parentRunId } : {}),
    depth,
    query: node.query,
    contextChars,
    model: root.id,
    subModel: sub.id,
    ...(node.settings ? { settings: node.settings } : {}),
  });
  const messages: Message[] = [];
  /** Every message, compacted ones included: the REPL's `history`. */
  const history: Message[] = [];
  let iterations = 0;
  let sent = 0;
  const finish = (status: RunStatus, answer: string | undefined, error?: RlmError): NodeOutcome => {
    // The root's run-end carries the whole tree's usage and comes from RLM.run.
    if (depth > 0) {
      tree.emit({ type: 'run-end', runId, depth, status, answer, iterations, durationMs: performance.now() - started, usage: tree.budget.usage() });
    }
    return { answer, status, iterations, runId, messages, sent, sandbox, dispose, ...(error ? { error } : {}) };
  };

  // The REPL starts while the model writes its first reply, which needs only metadata.
  const language = options.repl ?? 'javascript';
  const sandbox: Promise<Sandbox> = (language === 'python' ? PythonSandbox : JsSandbox).create({
    context: node.context,
    bridge,
    memoryLimitMb: options.memoryLimitMb,
    maxOutputChars: options.maxOutputChars,
    cellTimeoutMs: options.cellTimeoutMs,
    tools: Object.keys(options.tools ?? {}),
    // A run allowed more requests at once than a REPL's default may have them all from one REPL.
    maxCallsInFlight: Math.max(MAX_CALLS_IN_FLIGHT, options.concurrency ?? 0),
  });
  // Handled now, so a REPL that fails to start before any code needs it is no unhandled
  // rejection; the failure is reported where the REPL is awaited.
  sandbox.catch(() => undefined);
  // Disposed once ready, if still starting; once only.
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    void sandbox.then((ready) => ready.dispose(), () => undefined);
  };
  try {
    const say = (message: Message) => {
      messages.push(message);
      history.push(message);
    };
    // What the root's last request would need if a limit stopped the run now is kept out of reach.
    const holdForLastAnswer = () => {
      if (depth === 0) tree.holdForLastAnswer(lastAnswerRequest(tree, messages, runId, sent, 'a limit'));
    };
    say({ role: 'system', content: options.systemPrompt ?? systemPrompt(language, { maxDepth: tree.maxDepth, canRecurse, tools: toolDescriptions(options.tools) }) });
    say({ role: 'user', content: firstTurnMessage(contextMetadata(node.context), node.query) });
    const window = new HistoryWindow(options.contextWindow ?? contextWindowOf(root.id), options.compactAt ?? 0.8);
    const generate = async () => {
      if (window.isNearlyFull(messages)) await compact();
      const reply = await root.generate({ messages, signal, maxOutputTokens: options.maxOutputTokens, trace: { runId, from: sent } });
      window.measured(messages, reply.usage.inputTokens + reply.usage.outputTokens);
      say({ role: 'assistant', content: reply.text });
      sent = messages.length;
      holdForLastAnswer();
      return reply.text;
    };
    // The conversation restarts from the model's own summary; the REPL keeps everything.
    const compact = async () => {
      const request: Message[] = [...messages, { role: 'user', content: compactionRequest() }];
      const summary = await root.generate({ messages: request, signal, maxOutputTokens: options.maxOutputTokens, trace: { runId, from: sent } });
      history.push(request.at(-1)!, { role: 'assistant', content: summary.text });
      const [system, first] = messages;
      messages.length = 0;
      messages.push(system!, first!, { role: 'assistant', content: summary.text }, { role: 'user', content: compactedMessage(iterations, maxIterations) });
      history.push(messages.at(-1)!);
      window.measured(messages, undefined);
      sent = 0;
      tree.emit({ type: 'compaction', runId, depth, iteration: iterations, summaryChars: summary.text.length });
    };

    while (iterations < maxIterations) {
      signal.throwIfAborted();
      iterations++;
      tree.budget.countTurn(depth);
      tree.emit({ type: 'turn-start', runId, depth, iteration: iterations });
      const parsed = parseReply(await generate(), language);

      if (parsed.code.length === 0) {
        if (parsed.final) {
          const answer = await resolveTextFinal(parsed.final, await sandbox);
          if (answer.found) return finish('done', answer.value);
          say({ role: 'user', content: unknownFinalVarMessage(answer.name, answer.names) });
        } else {
          say({ role: 'user', content: noCodeMessage(node.query) });
        }
        continue;
      }

      const reports: CellReport[] = [];
      for (const [index, code] of parsed.code.entries()) {
        tree.emit({ type: 'cell-start', runId, depth, iteration: iterations, index, code });
        const cell = await (await sandbox).run(code, { signal });
        tree.emit({ type: 'cell-end', runId, depth, iteration: iterations, index, output: cell.output, error: cell.error, restarted: cell.restarted, durationMs: cell.durationMs });
        reports.push(cell);
        if (cell.final !== undefined) return finish('done', cell.final);
      }
      say({ role: 'user', content: outputsMessage(reports, node.query, iterations, maxIterations, parsed.ignoredFinal, 3 * (options.maxOutputChars ?? 20_000)) });
      holdForLastAnswer();
    }

    // Out of iterations: one more request for a final answer from what the model has.
    signal.throwIfAborted();
    say({ role: 'user', content: forceFinalMessage(maxIterations) });
    const final = lastLineFinal(stripFences(await generate()));
    if (final) {
      const answer = await resolveTextFinal(final, await sandbox);
      if (answer.found) return finish('max_iterations', answer.value);
    }
    // A reply that is not a final answer (a plan, code that will not run) is never passed off as one.
    return finish('max_iterations', undefined, new RlmError('RLM_MAX_ITERATIONS', `no final answer after ${maxIterations} turns`));
  } catch (error) {
    // A stop from outside (cancel, a limit) explains the end better than the error it caused in
    // whatever was waiting at that moment.
    // A child stopped by its parent's cell (timed out, cancelled) ends as cancelled.
    const reason: unknown = signal.aborted ? (tree.stopReason ?? asCancelled(signal.reason)) : error;
    if (!RlmError.isInstance(reason)) throw error;
    const status = statusOf(reason);
    return finish(status, undefined, reason);
  } finally {
    // The root's REPL outlives a stop by a limit: the last request may name a variable in it.
    const keep = depth === 0 && tree.stopReason instanceof BudgetExceededError;
    if (!keep) dispose();
  }
}

/**
 * After a limit stopped the tree: one request for the root's best answer, out of what the budget
 * held back for it (a call, tokens, cost, and the end of the time limit). Only a FINAL(...) or a
 * FINAL_VAR(...) of a variable in the REPL is an answer; any other reply is not passed off as one.
 */
async function lastAnswer(tree: RunTree, root: NodeOutcome, reason: BudgetExceededError): Promise<string | undefined> {
  const model = tree.modelAt(0, 'root', true);
  const left = tree.timeLeftMs();
  if (left !== undefined && left <= 0) return undefined;
  const signal = AbortSignal.any([...(tree.userSignal ? [tree.userSignal] : []), AbortSignal.timeout(Math.min(left ?? Infinity, LAST_ANSWER_TIMEOUT_MS))]);
  try {
    const reply = await model.generate({ ...lastAnswerRequest(tree, root.messages, root.runId, root.sent, reason.message), signal });
    const final = lastLineFinal(stripFences(reply.text));
    if (!final) return undefined;
    const answer = await resolveTextFinal(final, await root.sandbox);
    return answer.found ? answer.value : undefined;
  } catch {
    return undefined;
  }
}

/** The last request after a limit: the conversation so far and one message asking for the answer. */
function lastAnswerRequest(tree: RunTree, messages: readonly Message[], runId: string, sent: number, reason: string): GenerateRequest {
  return {
    messages: [...messages, { role: 'user', content: limitReachedMessage(reason) }],
    maxOutputTokens: tree.options.maxOutputTokens ?? LAST_ANSWER_OUTPUT_TOKENS,
    trace: { runId, from: sent },
  };
}

/** Output room for the last answer: a FINAL line, and some thinking before it. */
const LAST_ANSWER_OUTPUT_TOKENS = 4_096;
const LAST_ANSWER_TIMEOUT_MS = 120_000;

/**
 * How full the conversation is, in tokens: what the provider counted for the last request, plus
 * an estimate (four characters a token) for what was added since.
 */
class HistoryWindow {
  readonly #limit: number;
  #tokens = 0;
  #chars = 0;

  constructor(windowTokens: number, share: number) {
    this.#limit = windowTokens * share;
  }

  measured(messages: readonly Message[], tokens: number | undefined): void {
    this.#chars = charsOf(messages);
    this.#tokens = tokens ?? Math.ceil(this.#chars / 4);
  }

  isNearlyFull(messages: readonly Message[]): boolean {
    const added = Math.max(0, charsOf(messages) - this.#chars);
    return messages.length > 2 && this.#tokens + Math.ceil(added / 4) > this.#limit;
  }
}

function charsOf(messages: readonly Message[]): number {
  return messages.reduce((n, m) => n + m.content.length, 0);
}

function toolDescriptions(tools: RLMOptions['tools']): Array<{ name: string; description: string }> {
  return Object.entries(tools ?? {}).map(([name, tool]) => ({ name, description: tool.description }));
}

/** Tool names become REPL globals: they must be identifiers and must not shadow the REPL's own. */
function checkToolNames(tools: RLMOptions['tools']): void {
  for (const name of Object.keys(tools ?? {})) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new RlmError('RLM_USAGE', `tool name "${name}" is not a JavaScript identifier`);
    if ((REPL_NAMES as readonly string[]).includes(name) || name === 'console') {
      throw new RlmError('RLM_USAGE', `tool name "${name}" is taken by the REPL`);
    }
  }
}

async function resolveTextFinal(
  final: TextFinal,
  sandbox: Sandbox,
): Promise<{ found: true; value: string } | { found: false; name: string; names: string[] }> {
  if (final.kind === 'value') return { found: true, value: final.value };
  const variable = await sandbox.variable(final.name);
  return variable.found ? variable : { found: false, name: final.name, names: variable.names };
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
