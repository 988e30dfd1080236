/**
 * One RLM of the tree, root or child, as the loop in rlm.ts drives it: its id and models, its
 * REPL, its turns, what it reports, and how it ends. The loop says what happens; this says how.
 */
import { asCancelled, BudgetExceededError, RlmError } from './errors.ts';
import type { Model } from './models/model.ts';
import { contextWindowOf } from './models/windows.ts';
import { toolDescriptions } from './config.ts';
import { Conversation } from './conversation.ts';
import {
  addedContextMessage,
  compactedMessage,
  compactionRequest,
  contextMetadata,
  firstTurnMessage,
  followUpMessage,
  systemPrompt,
} from './prompt.ts';
import type { TextFinal } from './protocol.ts';
import { bridgeFor, type StartChild } from './bridge.ts';
import { lastAnswerRequest } from './last-answer.ts';
import { statusOf, type RunStatus } from './run-status.ts';
import type { RunTree } from './run-tree.ts';
import { checkFinal, schemaInstructions, schemaMismatchMessage, type SchemaCheck } from './schema/index.ts';
import type { Corpus } from './inputs/corpus.ts';
import { corpusMetadata } from './inputs/corpus-metadata.ts';
import { CORPUS_TOOLS, withCorpusTools } from './inputs/corpus-tools.ts';
import type { SessionSeat } from './session-seat.ts';
import { createSandbox, MAX_CALLS_IN_FLIGHT, type CellResult, type ContextValue, type Sandbox } from './sandboxes/index.ts';

/** How many times an answer that does not match the schema is sent back to be corrected. */
export const SCHEMA_CORRECTIONS = 2;

export interface NodeInput {
  depth: number;
  context: ContextValue;
  query: string;
  /** Aborts when this node must stop: the tree's signal, or the parent's cell for a child. */
  signal: AbortSignal;
  parentRunId?: string;
  /** A model model code chose for this child (`rlm_query(prompt, context, { model })`). */
  model?: string;
  /** The shape the answer must have (`RLM.run({ schema })`, `rlm_query(..., { schema })`). */
  schema?: SchemaCheck<unknown> | undefined;
  /** At the root of a run over files: the corpus, whose documents model code reads with `read_document`. */
  corpus?: Corpus | undefined;
  /** At the root of a session's question: the REPL and conversation kept from earlier questions. */
  seat?: SessionSeat | undefined;
}

export interface NodeOutcome {
  answer: string | undefined;
  /** The answer as the schema's value, for a node with a schema. */
  value?: unknown;
  status: RunStatus;
  iterations: number;
  error?: RlmError;
  runId: string;
  /** The node's conversation, for the last request after a limit. */
  conversation: Conversation;
  /** The REPL, kept for the last request of a run a limit stopped (to read a FINAL_VAR). */
  repl: NodeRepl;
}

export class RlmNode {
  readonly runId: string;
  readonly depth: number;
  readonly signal: AbortSignal;
  readonly query: string;
  /** The model that writes this RLM's code. */
  readonly model: Model;
  readonly conversation: Conversation;
  readonly repl: NodeRepl;
  iterations = 0;
  readonly #tree: RunTree;
  readonly #schema: SchemaCheck<unknown> | undefined;
  /** Answers that did not match the schema and may still be corrected. */
  #correctionsLeft = SCHEMA_CORRECTIONS;
  readonly #seat: SessionSeat | undefined;
  readonly #started = performance.now();

  /** Reports the node's start and starts its REPL, which loads the context while the model writes its first reply. */
  constructor(tree: RunTree, input: NodeInput, startChild: StartChild) {
    const { config } = tree;
    this.#tree = tree;
    this.runId = tree.nextRunId();
    this.depth = input.depth;
    this.signal = input.signal;
    this.query = input.query;
    this.#schema = input.schema;
    const model = tree.modelAt(input.depth, 'root');
    this.model = input.model ? model.withId(input.model) : model;
    tree.emit({
      type: 'run-start',
      runId: this.runId,
      ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}),
      depth: this.depth,
      query: input.query,
      contextChars: typeof input.context === 'string' ? input.context.length : (JSON.stringify(input.context)?.length ?? 0),
      model: this.model.id,
      subModel: tree.modelAt(input.depth + 1, 'sub').id,
      ...(input.depth === 0 ? { settings: tree.settings } : {}),
      ...(input.schema?.jsonSchema === undefined ? {} : { schema: input.schema.jsonSchema }),
    });
    const served = bridgeFor(
      tree,
      { runId: this.runId, depth: this.depth, signal: this.signal, history: () => this.conversation.history },
      startChild,
    );
    const { corpus } = input;
    const bridge = corpus ? withCorpusTools(served, corpus) : served;
    const seat = input.depth === 0 ? input.seat : undefined;
    this.#seat = seat;
    seat?.serve(bridge);
    const asked = input.schema ? `\n\n${schemaInstructions(input.schema, config.repl)}` : '';
    if (seat?.repl && seat.conversation) {
      // A later question of a session: the same REPL and conversation, told what is new.
      this.repl = seat.repl;
      this.conversation = seat.conversation;
      this.conversation.ask(followUpMessage(input.query, seat.lastAnswer, this.#addedContexts(seat)) + asked);
      return;
    }
    const starting = createSandbox(config.repl, {
      context: input.context,
      bridge: seat ? seat.bridge : bridge,
      memoryLimitMb: config.memoryLimitMb,
      maxOutputChars: config.maxOutputChars,
      cellTimeoutMs: config.cellTimeoutMs,
      tools: [...Object.keys(config.tools), ...(corpus ? CORPUS_TOOLS : [])],
      // A session's answers may be checked against a schema at any question.
      answersAsJson: input.schema !== undefined || seat !== undefined,
      // A run allowed more requests at once than a REPL's default may have them all from one REPL.
      maxCallsInFlight: Math.max(MAX_CALLS_IN_FLIGHT, config.concurrency),
    });
    this.repl = new NodeRepl(seat ? starting.then((sandbox) => loadPending(sandbox, seat)) : starting);
    const prompt =
      config.systemPrompt ??
      systemPrompt(config.repl, {
        maxDepth: config.maxDepth,
        canRecurse: this.depth + 1 < config.maxDepth,
        tools: toolDescriptions(config),
      });
    const window = config.contextWindow ?? contextWindowOf(this.model.id);
    const described = corpus ? corpusMetadata(corpus, config.repl) : contextMetadata(input.context);
    const metadata = [described, ...(seat ? this.#addedContexts(seat) : [])].join('\n\n');
    this.conversation = new Conversation(prompt, firstTurnMessage(metadata, input.query) + asked, window, config.compactAt);
    if (seat) {
      seat.repl = this.repl;
      seat.conversation = this.conversation;
    }
  }

  /** What the model is told of the contexts added to a session since it last heard: their names and metadata. */
  #addedContexts(seat: SessionSeat): string[] {
    const told = seat.added.map(({ name, value }) => addedContextMessage(name, contextMetadata(value)));
    seat.added.length = 0;
    return told;
  }

  /** Counts a new turn against the limits and reports it. */
  beginTurn(): void {
    this.signal.throwIfAborted();
    this.iterations++;
    this.#tree.budget.countTurn(this.depth);
    this.#tree.emit({ type: 'turn-start', runId: this.runId, depth: this.depth, iteration: this.iterations });
  }

  /** The model's next reply to the conversation; compacts the conversation first if it nears the model's window. */
  async reply(): Promise<string> {
    const { config } = this.#tree;
    const extra = config.maxOutputTokens === undefined ? {} : { maxOutputTokens: config.maxOutputTokens };
    if (this.conversation.isNearlyFull()) await this.#compact(extra);
    const reply = await this.model.generate({ ...this.conversation.request(this.runId, extra), signal: this.signal });
    this.conversation.replied(reply.text, reply.usage.inputTokens + reply.usage.outputTokens);
    this.holdForLastAnswer();
    return reply.text;
  }

  /** The conversation restarts from the model's own summary; the REPL keeps everything. */
  async #compact(extra: { maxOutputTokens?: number }): Promise<void> {
    const request = compactionRequest();
    const summary = await this.model.generate({ ...this.conversation.requestWith(request, this.runId, extra), signal: this.signal });
    this.conversation.compacted(request, summary.text, compactedMessage(this.iterations, this.#tree.config.maxIterations));
    this.#tree.emit({
      type: 'compaction',
      runId: this.runId,
      depth: this.depth,
      iteration: this.iterations,
      summaryChars: summary.text.length,
    });
  }

  /** Runs one code block of the model's reply in the REPL, reporting it. */
  async runCell(code: string, index: number): Promise<CellResult> {
    const at = { runId: this.runId, depth: this.depth, iteration: this.iterations, index };
    this.#tree.emit({ type: 'cell-start', ...at, code });
    const cell = await (await this.repl.ready).run(code, { signal: this.signal });
    this.#tree.emit({
      type: 'cell-end',
      ...at,
      output: cell.output,
      error: cell.error,
      restarted: cell.restarted,
      durationMs: cell.durationMs,
    });
    return cell;
  }

  /**
   * Ends the node with a final answer, checked against its schema if it has one. An answer that
   * does not match is shown to the model with what is wrong (the `retry` message), a bounded
   * number of times; then the node ends without an answer.
   */
  async accept(status: RunStatus, answer: string): Promise<NodeOutcome | { retry: string }> {
    if (!this.#schema) return this.finish(status, answer);
    const checked = await checkFinal(this.#schema, answer);
    if (checked.ok) return this.finish(status, answer, undefined, checked.value);
    if (this.#correctionsLeft > 0 && status === 'done') {
      this.#correctionsLeft--;
      return { retry: schemaMismatchMessage(checked.issues, this.#correctionsLeft + 1) };
    }
    const attempts = SCHEMA_CORRECTIONS + 1 - this.#correctionsLeft;
    const error = new RlmError(
      'RLM_SCHEMA_MISMATCH',
      `the answer did not match the schema after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${checked.issues.slice(0, 3).join('; ')}`,
    );
    return this.finish(status === 'done' ? 'error' : status, undefined, error);
  }

  /** Holds back, at the root, what the last request for an answer would need if a limit stopped the run now. */
  holdForLastAnswer(): void {
    if (this.depth === 0) this.#tree.holdForLastAnswer(lastAnswerRequest(this.#tree.config, this.conversation, this.runId, 'a limit'));
  }

  /** Ends the node: a child reports its end here (the root's, with the whole tree's usage, comes from RLM.run). */
  finish(status: RunStatus, answer: string | undefined, error?: RlmError, value?: unknown): NodeOutcome {
    if (this.depth > 0) {
      const usage = this.#tree.budget.usage();
      this.#tree.emit({
        type: 'run-end',
        runId: this.runId,
        depth: this.depth,
        status,
        answer,
        iterations: this.iterations,
        durationMs: performance.now() - this.#started,
        usage,
      });
    }
    return {
      answer,
      ...(value === undefined ? {} : { value }),
      status,
      iterations: this.iterations,
      runId: this.runId,
      conversation: this.conversation,
      repl: this.repl,
      ...(error ? { error } : {}),
    };
  }

  /**
   * Ends the node on an error. A stop from outside (cancel, a limit) explains the end better than
   * the error it caused in whatever was waiting at that moment; a child stopped by its parent's
   * cell (timed out, cancelled) ends as cancelled. An error that is not rlm's is a bug: rethrown.
   */
  stopped(error: unknown): NodeOutcome {
    const reason: unknown = this.signal.aborted ? (this.#tree.stopReason ?? asCancelled(this.signal.reason)) : error;
    if (!RlmError.isInstance(reason)) throw error;
    return this.finish(statusOf(reason), undefined, reason);
  }

  /**
   * Whether the REPL must outlive the loop: a session's, which the next question uses; at the
   * root of a run a limit stopped, for the last request, which may name a variable in it.
   */
  get keepsRepl(): boolean {
    return this.#seat !== undefined || (this.depth === 0 && BudgetExceededError.isInstance(this.#tree.stopReason));
  }
}

/** Loads the contexts a session was given before its REPL started, in order, as `context_1`... */
async function loadPending(sandbox: Sandbox, seat: SessionSeat): Promise<Sandbox> {
  for (const value of seat.pending.splice(0)) await sandbox.addContext(value);
  return sandbox;
}

/** An RLM's REPL: started at once, awaited where code needs it, ended once. */
export class NodeRepl {
  readonly ready: Promise<Sandbox>;
  #disposed = false;

  constructor(starting: Promise<Sandbox>) {
    this.ready = starting;
    // Handled now, so a REPL that fails to start before any code needs it is no unhandled
    // rejection; the failure is reported where the REPL is awaited.
    starting.catch(() => undefined);
  }

  /** The answer a final names: its text, or a variable's value if the variable exists. */
  async resolve(final: TextFinal): Promise<{ found: true; value: string } | { found: false; name: string; names: string[] }> {
    if (final.kind === 'value') return { found: true, value: final.value };
    const variable = await (await this.ready).variable(final.name);
    return variable.found ? variable : { found: false, name: final.name, names: variable.names };
  }

  /** Ends the REPL, once it is ready if it is still starting. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    void this.ready.then(
      (sandbox) => sandbox.dispose(),
      () => undefined,
    );
  }
}
