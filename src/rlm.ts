/**
 * The recursive loop of the paper: the context goes into a REPL once; the root model sees only
 * metadata and writes code turn by turn; it reads a truncated view of what the code printed and
 * calls models from inside that code; it ends by handing back an answer from code.
 */
import type { UsageReport } from './budget.ts';
import { resolveRunConfig, type RunConfig } from './config.ts';
import { BudgetExceededError, RlmError, type RlmErrorCode } from './errors.ts';
import { EventQueue } from './event-queue.ts';
import { lastAnswer } from './last-answer.ts';
import { refuseUnpricedCostLimit } from './models/prices.ts';
import { RlmNode, type NodeInput, type NodeOutcome } from './node.ts';
import type { RLMOptions } from './options.ts';
import { forceFinalMessage, noCodeMessage, outputsMessage, unknownFinalVarMessage } from './prompt.ts';
import { lastLineFinal, parseReply, stripFences } from './protocol.ts';
import type { ResumeOptions } from './resume.ts';
import { RunTree } from './run-tree.ts';
import type { SessionSeat } from './session-seat.ts';
import type { Corpus } from './inputs/corpus.ts';
import { isCorpus } from './inputs/is-corpus.ts';
import { RlmSession } from './session.ts';
import { checkFinal, schemaCheck, type AnswerSchema } from './schema/index.ts';
import { warmSandbox, type CellResult, type ContextValue } from './sandboxes/index.ts';
import type { EventSink, RlmEvent, RunStatus } from './trace/events.ts';
import type { RecordedReplies } from './trace/recorded-replies.ts';
import type { Trace } from './trace/read-trace.ts';

export type { RLMOptions, Tool } from './options.ts';

/** What one run answers: a query over a context. */
export interface RunInput<T = unknown> {
  /**
   * The long input: a string, a list of strings (e.g. one per file), any JSON value, or a
   * {@link Corpus} of files (`await loadCorpus(['./repo'])`), whose documents model code reads
   * with `read_document` even when they are too large to load.
   */
  context: ContextValue | Corpus;
  query: string;
  /** Aborting it stops the run (and every call in flight) with status `cancelled`. */
  signal?: AbortSignal;
  /**
   * The shape of the answer: a Standard Schema (Zod, Valibot, ArkType) or a JSON Schema. The
   * model is shown it, its FINAL value is checked against it, and an answer that does not match
   * is sent back with what is wrong (twice at most); `RunResult.value` is the checked value.
   */
  schema?: AnswerSchema<T> | undefined;
}

/**
 * How a run ended. `answer` is set only when the model handed one back from code (or as a lone
 * FINAL line); a run stopped by a limit, a cancel or an error has `status` and `error` instead.
 */
export interface RunResult<T = unknown> {
  /** The final answer; undefined when the run ended without one. */
  answer: string | undefined;
  /** For a run with a schema, the answer as the schema's (parsed, checked) value. */
  value?: T;
  status: RunStatus;
  usage: UsageReport;
  /** Turns the root model took. */
  iterations: number;
  durationMs: number;
  /** Why the run ended without an answer, for statuses other than done and max_iterations. */
  error?: { code: RlmErrorCode; message: string };
}

/**
 * A Recursive Language Model.
 *
 * @example
 * const rlm = new RLM({ model: createOpenAIModel({ model: 'gpt-5' }), subModel: createOpenAIModel({ model: 'gpt-5-mini' }) });
 * const { answer } = await rlm.run({ context: bookText, query: 'Who betrays the captain, and why?' });
 */
export class RLM {
  readonly #config: RunConfig;

  /** Checks the options (a bad one is refused here, with its name) and resolves their defaults. */
  constructor(options: RLMOptions) {
    this.#config = resolveRunConfig(options);
    // CPython takes over a second to boot: start a spare REPL now, while the caller prepares.
    // With child RLMs, more REPLs will come: keep a spare from the first.
    if (this.#config.repl === 'python') void warmSandbox('python', { keep: this.#config.maxDepth > 1 });
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
  start<T = unknown>(input: RunInput<T>): { events: AsyncIterable<RlmEvent>; result: Promise<RunResult<T>> } {
    const queue = new EventQueue();
    const result = this.#run(input, (event) => queue.push(event)).finally(() => queue.close());
    return { events: queue, result };
  }

  /**
   * Answers `input.query` over `input.context`; resolves when the run ends, however it ends.
   *
   * @example
   * const { value } = await rlm.run({ context, query: 'Totals per region?', schema: z.object({ totals: z.record(z.string(), z.number()) }) });
   */
  run<T = unknown>(input: RunInput<T>): Promise<RunResult<T>> {
    return this.#run(input, undefined);
  }

  /**
   * Goes on with a run that ended without its answer (a crash, a kill, Ctrl-C, a limit, a provider
   * outage) from its trace. The recorded cells run again against the recorded replies, so the
   * REPL's state is rebuilt and no model is asked anything already paid for; then the run goes on
   * live from the first request the trace has no reply for. The limits count what the earlier
   * attempts spent (calls, tokens, cost, time). This RLM must have the recorded settings (models,
   * depth, turns, prompt, tools); its limits may be higher. Write the resumed run's events to the
   * same trace with `new JsonlTrace(path, { context, resume: true })`, so that it can be resumed again.
   *
   * @example
   * const result = await rlm.resume(await readTrace('run.jsonl'));
   */
  async resume<T = unknown>(trace: Trace, options: ResumeOptions<T> = {}): Promise<RunResult<T>> {
    // Loaded by a resume only: a run that is not one starts without the trace reader.
    const plan = await (await import('./resume.ts')).planResume(trace, this.#config, options);
    const input: RunInput<T> = {
      context: plan.context,
      query: plan.query,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(plan.schema === undefined ? {} : { schema: plan.schema as AnswerSchema<T> }),
    };
    return this.#run(input, undefined, { replies: plan.replies, elapsedMs: plan.elapsedMs, lostCalls: plan.lostCalls });
  }

  /**
   * Starts a session over `context`: questions asked one after another on the same REPL, so a
   * follow-up reuses every variable earlier questions computed. Each question has the RLM's
   * limits to itself. Close the session to end its REPL.
   *
   * @example
   * const session = rlm.session({ context: logs });
   * await session.ask('Count the errors per service into a variable.');
   * const { answer } = await session.ask('Which service got worse after the deploy?');
   * session.close();
   */
  session(input: { context: ContextValue | Corpus }): RlmSession {
    return this.#session(input.context, undefined);
  }

  /**
   * Opens a session again from its trace: every recorded question is asked again, answered from
   * the trace (no model is called for what was paid for), so the REPL holds what it held; a
   * question the trace did not finish goes on live. Then the session takes new questions.
   * Write its events to the same trace with `new JsonlTrace(path, { context, resume: true })`.
   *
   * @example
   * const session = await rlm.reopenSession(await readTrace('chat.jsonl'));
   * const { answer } = await session.ask('And the week before?');
   */
  async reopenSession(trace: Trace, options: ResumeOptions = {}): Promise<RlmSession> {
    const { planSession } = await import('./resume.ts');
    const plan = await planSession(trace, this.#config, options);
    const session = this.#session(plan.context, plan.replies);
    for (const step of plan.steps) {
      if (step.type === 'context') await session.addContext(step.value);
      else
        await session.ask(step.query, {
          ...(step.schema ? { schema: step.schema } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
    }
    return session;
  }

  #session(context: ContextValue | Corpus, replies: RecordedReplies | undefined): RlmSession {
    return new RlmSession(
      (query, seat, question) =>
        this.#run(
          { context, query, ...(question.signal ? { signal: question.signal } : {}), schema: question.schema },
          undefined,
          replies ? { replies, elapsedMs: 0 } : undefined,
          seat,
        ),
      (name, value) => this.#config.onEvent?.({ type: 'context-added', name, context: value }),
    );
  }

  async #run<T>(
    input: RunInput<T>,
    alsoTo: EventSink | undefined,
    resumed?: { replies: RecordedReplies; elapsedMs: number; lostCalls?: number },
    seat?: SessionSeat,
  ): Promise<RunResult<T>> {
    const config = this.#config;
    // A cost limit is only a limit if every call can be costed: refused before the run starts.
    if (config.limits.maxCostUsd !== undefined) refuseUnpricedCostLimit([config.models[0]!.id, config.models[1]!.id], config.prices);
    // A schema that is not one is refused before anything starts.
    const schema = input.schema === undefined ? undefined : schemaCheck(input.schema);
    const started = performance.now();
    const tree = new RunTree(config, input.signal, alsoTo, resumed, seat?.runIds);
    try {
      const corpus = isCorpus(input.context) ? input.context : undefined;
      const context = corpus ? corpus.contextValue() : (input.context as ContextValue);
      const root = await runNode(tree, { depth: 0, context, query: input.query, signal: tree.signal, schema, seat, corpus });
      let { answer, status, value } = root;
      let { error: rootError } = root;
      const stopped = tree.stopReason;
      // A limit stopped the tree: ask the root once more, within what was held back for it, for its best answer.
      if (answer === undefined && BudgetExceededError.isInstance(stopped)) {
        answer = await lastAnswer(tree, root, stopped);
        status = stopped.limit === 'time' ? 'timeout' : 'budget';
        if (answer !== undefined && schema) {
          const checked = await checkFinal(schema, answer);
          if (checked.ok) value = checked.value;
          else {
            rootError = new RlmError(
              'RLM_SCHEMA_MISMATCH',
              `the last answer did not match the schema: ${checked.issues.slice(0, 3).join('; ')}`,
            );
            answer = undefined;
          }
        }
      }
      // Kept past a stop by a limit for the last request; ended whatever the run's end.
      if (!seat) root.repl.dispose();
      await tree.endChildren();
      const result: RunResult<T> = {
        answer,
        ...(value === undefined ? {} : { value: value as T }),
        status,
        usage: tree.budget.usage(),
        iterations: root.iterations,
        durationMs: performance.now() - started,
      };
      const error = rootError ?? (BudgetExceededError.isInstance(stopped) && status !== 'done' ? stopped : undefined);
      if (error) result.error = { code: error.code, message: error.message };
      tree.emit({
        type: 'run-end',
        runId: root.runId,
        depth: 0,
        status,
        answer,
        iterations: root.iterations,
        durationMs: result.durationMs,
        usage: result.usage,
      });
      return result;
    } finally {
      tree.close();
    }
  }
}

/**
 * One RLM of the tree, root or child (Algorithm 1 of the paper): the context is in the REPL; the
 * model sees its metadata, writes code, reads what the code printed, and ends with a FINAL.
 */
async function runNode(tree: RunTree, input: NodeInput): Promise<NodeOutcome> {
  const { maxIterations, maxOutputChars, repl: language } = tree.config;
  const node = new RlmNode(tree, input, (child) => runNode(tree, child));
  const { conversation, repl } = node;
  try {
    while (node.iterations < maxIterations) {
      node.beginTurn();
      const reply = parseReply(await node.reply(), language);
      if (reply.code.length === 0) {
        // No code: a FINAL alone on the reply's last line ends the run; anything else is nudged.
        const answer = reply.final && (await repl.resolve(reply.final));
        if (answer && answer.found) {
          const ended = await node.accept('done', answer.value);
          if (!('retry' in ended)) return ended;
          conversation.say(ended.retry);
        } else {
          conversation.say(answer ? unknownFinalVarMessage(answer.name, answer.names) : noCodeMessage(input.query));
        }
        continue;
      }
      const cells: CellResult[] = [];
      let refused: string | undefined;
      for (const [index, code] of reply.code.entries()) {
        const cell = await node.runCell(code, index);
        cells.push(cell);
        if (cell.final === undefined) continue;
        const ended = await node.accept('done', cell.final);
        if (!('retry' in ended)) return ended;
        // An answer that does not match the schema: shown to the model with what is wrong.
        refused = ended.retry;
        break;
      }
      const outputs = outputsMessage(cells, input.query, node.iterations, maxIterations, reply.ignoredFinal, 3 * maxOutputChars);
      conversation.say(refused === undefined ? outputs : `${outputs}\n\n${refused}`);
      node.holdForLastAnswer();
    }
    // Out of turns: one more request for a final answer from what the model has.
    input.signal.throwIfAborted();
    conversation.say(forceFinalMessage(maxIterations));
    const final = lastLineFinal(stripFences(await node.reply()));
    const answer = final && (await repl.resolve(final));
    if (answer && answer.found) {
      const ended = await node.accept('max_iterations', answer.value);
      if (!('retry' in ended)) return ended;
    }
    // A reply that is not a final answer (a plan, code that will not run) is never passed off as one.
    return node.finish('max_iterations', undefined, new RlmError('RLM_MAX_ITERATIONS', `no final answer after ${maxIterations} turns`));
  } catch (error) {
    return node.stopped(error);
  } finally {
    if (!node.keepsRepl) repl.dispose();
  }
}
