/**
 * The recursive loop of the paper: the context goes into a REPL once; the root model sees only
 * metadata and writes code turn by turn; it reads a truncated view of what the code printed and
 * calls models from inside that code; it ends by handing back an answer from code.
 */
import { Budget, type BudgetLimits, type UsageReport } from './budget.ts';
import { BudgetExceededError, CancelledError, RlmError } from './errors.ts';
import { withCallEvents } from './models/events.ts';
import { Limiter, withLimit } from './models/limiter.ts';
import { withMeter } from './models/meter.ts';
import type { Message, Model } from './models/model.ts';
import { DEFAULT_PRICES, findPrice, type PriceTable } from './models/prices.ts';
import { withRetry, type RetryOptions } from './models/retry.ts';
import {
  contextMetadata,
  firstTurnMessage,
  forceFinalMessage,
  javascriptSystemPrompt,
  noCodeMessage,
  outputsMessage,
  unknownFinalVarMessage,
  type CellReport,
} from './prompt.ts';
import { lastLineFinal, parseReply, type TextFinal } from './protocol.ts';
import { JsSandbox } from './sandboxes/js/js-sandbox.ts';
import type { Bridge, ContextValue, Sandbox } from './sandboxes/sandbox.ts';
import type { EventSink, RlmEvent, RunStatus } from './trace/events.ts';

export interface RLMOptions {
  /** The root model, which writes the code. */
  model: Model;
  /** The model for `llm_query` sub-calls (default: the root model). */
  subModel?: Model;
  /** Turns before the model is asked once more for a final answer (default 30). */
  maxIterations?: number;
  /** Characters of each code block's output shown to the model (default 20,000). */
  maxOutputChars?: number;
  /** Time limit per cell in ms, time spent awaiting included (default 60,000). */
  cellTimeoutMs?: number;
  /** Memory cap of the REPL in MiB (default 1,024). */
  memoryLimitMb?: number;
  /** Model requests in flight at once, over the whole run (default 16). */
  concurrency?: number;
  /**
   * Recursion depth. At 1 (the paper's setting, the default) sub-calls are plain model calls; at
   * 0 there are none: the model has only the REPL (the paper's "RLM without sub-calls").
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
  /** Receives every event of the run. */
  onEvent?: EventSink;
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
    this.#options = options;
  }

  async run(input: RunInput): Promise<RunResult> {
    const options = this.#options;
    refuseUnpricedCostLimit(options);
    const started = performance.now();
    const maxIterations = options.maxIterations ?? 30;
    const budget = new Budget(options.limits);
    const limiter = new Limiter(options.concurrency ?? 16);
    const emit: EventSink = (event: RlmEvent) => options.onEvent?.(event);
    const controller = new AbortController();
    const signal = controller.signal;
    const stopOnCancel = () => controller.abort(new CancelledError());
    if (input.signal?.aborted) stopOnCancel();
    input.signal?.addEventListener('abort', stopOnCancel, { once: true });
    const timeoutMs = options.limits?.timeoutMs;
    const deadline =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => controller.abort(new BudgetExceededError('time', `time limit reached (${timeoutMs} ms)`)), timeoutMs);

    let callIds = 0;
    const prepare = (model: Model, depth: number, kind: 'root' | 'sub'): Model =>
      withRetry(
        withLimit(
          withMeter(withCallEvents(model, emit, { depth, kind, nextId: () => ++callIds }), { budget, depth, prices: options.prices }),
          limiter,
        ),
        {
          ...options.retry,
          onRetry: (info) => {
            options.retry?.onRetry?.(info);
            emit({ type: 'retry', model: model.id, attempt: info.attempt, delayMs: info.delayMs, reason: info.error.message });
          },
        },
      );
    const root = prepare(options.model, 0, 'root');
    const sub = prepare(options.subModel ?? options.model, 1, 'sub');

    const maxDepth = options.maxDepth ?? 1;
    const ask = async (prompt: string, model: string | undefined, cellSignal: AbortSignal): Promise<string> => {
      if (maxDepth === 0) throw new RlmError('RLM_USAGE', 'sub-calls are off in this run (max depth 0): work with the REPL alone');
      const chosen = model && model !== sub.id ? sub.withId(model) : sub;
      const reply = await chosen.generate({ messages: [{ role: 'user', content: prompt }], signal: AbortSignal.any([signal, cellSignal]) });
      return reply.text;
    };
    const bridge: Bridge = {
      llm_query: (prompt, opts, cellSignal) => ask(prompt, opts.model, cellSignal),
      // At the deepest level (the default depth 1) a recursive query is a plain model call.
      rlm_query: (prompt, context, cellSignal) =>
        ask(context === undefined ? prompt : `${prompt}\n\n${typeof context === 'string' ? context : JSON.stringify(context)}`, undefined, cellSignal),
      budget: () => budget.snapshot(),
    };

    const contextChars = typeof input.context === 'string' ? input.context.length : (JSON.stringify(input.context)?.length ?? 0);
    emit({ type: 'run-start', depth: 0, query: input.query, contextChars, model: root.id, subModel: sub.id });

    let iterations = 0;
    const finish = (status: RunStatus, answer: string | undefined, error?: RlmError): RunResult => {
      const result: RunResult = { answer, status, usage: budget.usage(), iterations, durationMs: performance.now() - started };
      if (error) result.error = { code: error.code, message: error.message };
      emit({ type: 'run-end', depth: 0, status, answer, iterations, durationMs: result.durationMs, usage: result.usage });
      return result;
    };

    // The REPL starts while the root model writes its first reply, which needs only metadata.
    const starting = JsSandbox.create({
      context: input.context,
      bridge,
      memoryLimitMb: options.memoryLimitMb,
      maxOutputChars: options.maxOutputChars,
      cellTimeoutMs: options.cellTimeoutMs,
    });
    // Handled now, so a REPL that fails to start before any code needs it is no unhandled
    // rejection; the failure is reported where the REPL is awaited.
    starting.catch(() => undefined);
    const repl = () => starting;
    try {
      const messages: Message[] = [
        { role: 'system', content: options.systemPrompt ?? javascriptSystemPrompt({ maxDepth }) },
        { role: 'user', content: firstTurnMessage(contextMetadata(input.context), input.query) },
      ];
      const generate = async () => {
        const reply = await root.generate({ messages, signal, maxOutputTokens: options.maxOutputTokens });
        messages.push({ role: 'assistant', content: reply.text });
        return reply.text;
      };

      while (iterations < maxIterations) {
        signal.throwIfAborted();
        iterations++;
        emit({ type: 'turn-start', depth: 0, iteration: iterations });
        const parsed = parseReply(await generate(), 'javascript');

        if (parsed.code.length === 0) {
          if (parsed.final) {
            const answer = await resolveTextFinal(parsed.final, await repl());
            if (answer.found) return finish('done', answer.value);
            messages.push({ role: 'user', content: unknownFinalVarMessage(answer.name, answer.names) });
          } else {
            messages.push({ role: 'user', content: noCodeMessage(input.query) });
          }
          continue;
        }

        const reports: CellReport[] = [];
        for (const [index, code] of parsed.code.entries()) {
          emit({ type: 'cell-start', depth: 0, iteration: iterations, index, code });
          const cell = await (await repl()).run(code, { signal });
          emit({ type: 'cell-end', depth: 0, iteration: iterations, index, output: cell.output, error: cell.error, restarted: cell.restarted, durationMs: cell.durationMs });
          reports.push(cell);
          if (cell.final !== undefined) return finish('done', cell.final);
        }
        messages.push({ role: 'user', content: outputsMessage(reports, input.query, iterations, maxIterations, parsed.ignoredFinal) });
      }

      // Out of iterations: one more request for a final answer from what the model has.
      signal.throwIfAborted();
      messages.push({ role: 'user', content: forceFinalMessage(maxIterations) });
      const last = await generate();
      const final = lastLineFinal(last);
      if (final) {
        const answer = await resolveTextFinal(final, await repl());
        if (answer.found) return finish('max_iterations', answer.value);
      }
      return finish('max_iterations', last.trim() || undefined);
    } catch (error) {
      // A stop from outside (cancel, time limit) explains the run's end better than the error
      // it caused in whatever was waiting at that moment.
      const reason: unknown = signal.aborted ? signal.reason : error;
      if (!RlmError.isInstance(reason)) throw error;
      const status: RunStatus =
        reason.code === 'RLM_CANCELLED' ? 'cancelled' : reason instanceof BudgetExceededError ? (reason.limit === 'time' ? 'timeout' : 'budget') : 'error';
      return finish(status, undefined, reason);
    } finally {
      clearTimeout(deadline);
      input.signal?.removeEventListener('abort', stopOnCancel);
      if (!signal.aborted) controller.abort(new CancelledError('run finished'));
      // Disposed once ready, if still starting.
      starting.then((sandbox) => sandbox.dispose(), () => undefined);
    }
  }
}

/**
 * A cost limit is only a limit if every call can be costed: with a model of unknown price it
 * would silently never trigger, so the run is refused before it starts.
 */
function refuseUnpricedCostLimit(options: RLMOptions): void {
  if (options.limits?.maxCostUsd === undefined) return;
  for (const model of [options.model, options.subModel ?? options.model]) {
    if (!findPrice(model.id, { ...DEFAULT_PRICES, ...options.prices })) {
      throw new RlmError(
        'RLM_USAGE',
        `a cost limit needs a known price, and "${model.id}" has none; give its prices per million tokens (the \`prices\` option), or drop the cost limit`,
      );
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
