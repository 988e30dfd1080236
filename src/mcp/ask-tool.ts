/**
 * The `ask` tool: one RLM run over files, folders or globs within the roots, over text, or over a
 * named corpus. Its progress goes out as notifications, the tool call's cancellation cancels it,
 * and a run that ends without an answer is a tool error that says why, never an answer.
 */
import { join } from 'node:path';
import type { BudgetLimits } from '../budget.ts';
import { RlmError } from '../errors.ts';
import type { Corpus } from '../inputs/corpus.ts';
import { loadCorpus } from '../inputs/load-corpus.ts';
import type { Model } from '../models/model.ts';
import { RLM, type RunResult } from '../rlm.ts';
import type { ContextValue } from '../sandboxes/index.ts';
import type { EndpointModels, McpRunner, RlmMcpOptions } from './options.ts';
import { ProgressNotifier, type NotifyFn } from './progress.ts';
import { RunSlots } from './run-slots.ts';
import { confineSources, OutsideRootsError } from './roots.ts';
import { createSamplingModel, type SampleFn } from './sampling-model.ts';
import { toolError, type ToolResult } from './tool-result.ts';

/** The arguments of `ask`, as its input schema admits them. */
export interface AskInput {
  query: string;
  paths?: string[];
  text?: string;
  corpus?: string;
  limits?: { maxCostUsd?: number; maxCalls?: number; timeoutSeconds?: number };
}

/** What the tool call brings: its signal, its progress, the connection's roots and sampling. */
export interface AskCall {
  signal: AbortSignal;
  progressToken: string | number | undefined;
  notify: NotifyFn;
  /** The allowed roots for this call, the first one the base of relative paths. */
  roots: () => Promise<string[]>;
  /** Sampling through the client, when it declared the capability (and the era allows it). */
  sample: SampleFn | undefined;
  /** Whom to name in the log. */
  client: string;
}

const MiB = 1024 * 1024;

export async function runAsk(input: AskInput, call: AskCall, options: RlmMcpOptions): Promise<ToolResult> {
  const given = [input.paths !== undefined, input.text !== undefined, input.corpus !== undefined].filter(Boolean).length;
  if (given !== 1)
    return toolError(
      `give exactly one of paths (files, folders or globs), text, or corpus${given > 1 ? `: ${given} were given` : ''}${corporaHint(options)}`,
    );
  if (input.query.trim() === '') return toolError('the query is empty: ask a question');

  const progress = new ProgressNotifier({ token: call.progressToken, notify: call.notify, prices: options.run.prices });
  let release: () => void;
  try {
    release = await slotFor(options, call.signal, progress);
  } catch (error) {
    progress.stop();
    if (RlmError.isInstance(error)) return toolError(error.message);
    throw error;
  }
  try {
    return await ask(input, call, options, progress);
  } finally {
    release();
  }
}

async function ask(input: AskInput, call: AskCall, options: RlmMcpOptions, progress: ProgressNotifier): Promise<ToolResult> {
  const limits = lowerLimits(options.limits, input.limits);
  const started = performance.now();
  let context: string | Corpus;
  try {
    progress.say('loading the inputs');
    context = await loadContext(input, call, options);
  } catch (error) {
    if (error instanceof OutsideRootsError || RlmError.isInstance(error)) return toolError(error.message);
    throw error;
  }
  const inputs = typeof context === 'string' ? `${context.length.toLocaleString('en-US')} characters of text` : context.summary();

  let models: EndpointModels & { via: 'endpoint' | 'sampling' };
  try {
    models = await modelsFor(call, options);
  } catch (error) {
    if (RlmError.isInstance(error)) return toolError(error.message, { inputs });
    throw error;
  }
  if (limits.maxCostUsd !== undefined && models.via === 'sampling')
    return toolError(
      `a cost limit cannot hold on the client's own model: MCP sampling reports neither tokens nor prices. Drop the cost limit${
        options.limits.maxCostUsd !== undefined ? ' (the server sets one: --max-cost)' : ''
      }, or configure an endpoint with a known price (a key, --base-url) and --max-cost`,
      { inputs },
    );

  const shortQuery = JSON.stringify(input.query.length > 80 ? `${input.query.slice(0, 77)}...` : input.query);
  options.log(
    `ask from ${call.client}: ${shortQuery} over ${inputs} (${models.via === 'sampling' ? "the client's model, by sampling" : models.model.id})`,
  );
  const runner = options.runner ?? localRunner(options.traceDir);
  let ran: Awaited<ReturnType<McpRunner>>;
  try {
    ran = await runner({
      options: { ...options.run, model: models.model, subModel: models.subModel, limits, onEvent: progress.onEvent },
      context,
      query: input.query,
      signal: call.signal,
    });
  } catch (error) {
    // Refused before it started (a cost limit over a model without a price...).
    if (RlmError.isInstance(error)) return toolError(error.message, { inputs });
    throw error;
  } finally {
    progress.stop();
  }
  const { result } = ran;
  options.log(
    `ask from ${call.client}: ${result.status} in ${((performance.now() - started) / 1000).toFixed(1)}s, ${result.usage.total.calls} model calls${
      result.error ? `: ${result.error.message}` : ''
    }`,
  );
  return resultOf(result, { inputs, via: models.via, limits, trace: ran.where });
}

const slots = new WeakMap<RlmMcpOptions, RunSlots>();

/**
 * A slot among the asks of this server that run here; none needed when a runner of the caller's
 * runs them (`rlm serve` caps its runs itself).
 */
async function slotFor(options: RlmMcpOptions, signal: AbortSignal, progress: ProgressNotifier): Promise<() => void> {
  if (options.runner) return () => {};
  let mine = slots.get(options);
  if (!mine) slots.set(options, (mine = new RunSlots(options.maxRuns)));
  if (mine.running >= mine.maxRunning) progress.say(`waiting for a free slot: ${mine.running} asks running, ${mine.waiting} waiting`);
  return mine.acquire(signal);
}

/** The context: the paths within the roots as a corpus, the text, or the named corpus. */
async function loadContext(input: AskInput, call: AskCall, options: RlmMcpOptions): Promise<string | Corpus> {
  // Past a quarter of the REPL's memory (texts are held twice while they load), the files stay on disk.
  const memoryBudgetBytes = ((options.run.memoryLimitMb ?? 1024) * MiB) / 4;
  if (input.text !== undefined) {
    if (input.text.trim() === '') throw new RlmError('RLM_INPUT', 'the text is empty');
    return input.text;
  }
  if (input.corpus !== undefined) {
    const path = options.corpora[input.corpus];
    if (path === undefined) throw new RlmError('RLM_INPUT', `no corpus named ${JSON.stringify(input.corpus)}${corporaHint(options)}`);
    return loadCorpus([path], { cwd: options.cwd, memoryBudgetBytes, signal: call.signal });
  }
  const paths = input.paths ?? [];
  if (paths.length === 0) throw new RlmError('RLM_INPUT', 'paths is empty: name at least one file, folder or glob');
  const roots = await call.roots();
  if (roots.length === 0) throw new RlmError('RLM_INPUT', 'no allowed root exists: the roots declared and --root name no folder');
  const sources = await confineSources(paths, roots[0]!, roots);
  return loadCorpus(sources, { cwd: roots[0]!, memoryBudgetBytes, signal: call.signal });
}

/** The endpoint's models; with none configured, the client's own model by sampling, if it can. */
async function modelsFor(call: AskCall, options: RlmMcpOptions): Promise<EndpointModels & { via: 'endpoint' | 'sampling' }> {
  try {
    return { ...(await options.models()), via: 'endpoint' };
  } catch (error) {
    if (!RlmError.isInstance(error) || error.code !== 'RLM_MISSING_KEY') throw error;
    if (!call.sample)
      throw new RlmError(
        'RLM_MISSING_KEY',
        `${error.message}; or connect from an MCP client that supports sampling, whose own model then serves the run`,
      );
    const model: Model = createSamplingModel({ sample: call.sample, hint: options.modelHint, url: `mcp-client:${call.client}` });
    return { model, subModel: model, via: 'sampling' };
  }
}

/** The server's limits, each lowered by the call's where the call sets a lower one; never raised. */
export function lowerLimits(server: BudgetLimits, call: AskInput['limits']): BudgetLimits {
  const lower = (mine: number | undefined, theirs: number | undefined) =>
    theirs === undefined ? mine : mine === undefined ? theirs : Math.min(mine, theirs);
  return {
    ...server,
    maxCostUsd: lower(server.maxCostUsd, call?.maxCostUsd),
    maxCalls: lower(server.maxCalls, call?.maxCalls),
    timeoutMs: lower(server.timeoutMs, call?.timeoutSeconds === undefined ? undefined : Math.ceil(call.timeoutSeconds * 1000)),
  };
}

function resultOf(result: RunResult, facts: { inputs: string; via: string; limits: BudgetLimits; trace: string | undefined }): ToolResult {
  const total = result.usage.total;
  const seconds = (result.durationMs / 1000).toFixed(1);
  const cost =
    facts.via === 'sampling'
      ? "the client's model (sampling: tokens estimated, no price)"
      : total.unpricedCalls === total.calls && total.calls > 0
        ? 'cost unknown (no price for the model)'
        : total.unpricedCalls > 0
          ? `$${total.costUsd.toFixed(4)} known, ${total.unpricedCalls} calls of unknown price`
          : `$${total.costUsd.toFixed(4)}`;
  const footer = `rlm: ${result.status} · ${result.iterations} turns · ${total.calls} model calls · ${(total.inputTokens + total.outputTokens).toLocaleString('en-US')} tokens${
    total.estimatedCalls > 0 ? ' (some estimated)' : ''
  } · ${cost} · ${seconds}s · context: ${facts.inputs}${facts.trace ? ` · trace: ${facts.trace}` : ''}`;
  const structured = {
    answer: result.answer ?? null,
    status: result.status,
    usage: {
      calls: total.calls,
      inputTokens: total.inputTokens,
      outputTokens: total.outputTokens,
      costUsd: total.costUsd,
      unpricedCalls: total.unpricedCalls,
      estimatedCalls: total.estimatedCalls,
    },
    iterations: result.iterations,
    durationMs: Math.round(result.durationMs),
    model: facts.via,
    context: facts.inputs,
    ...(facts.trace ? { trace: facts.trace } : {}),
  };
  if (result.answer === undefined) {
    const reason = result.error?.message ?? `the run ended (${result.status}) without a final answer`;
    return {
      isError: true,
      content: [
        { type: 'text', text: `rlm: no answer (${result.status}): ${reason}` },
        { type: 'text', text: footer },
      ],
      structuredContent: { ...structured, reason },
    };
  }
  return {
    content: [
      { type: 'text', text: result.answer },
      { type: 'text', text: footer },
    ],
    structuredContent: structured,
  };
}

function corporaHint(options: RlmMcpOptions): string {
  const names = Object.keys(options.corpora);
  return names.length === 0 ? '' : ` (corpora: ${names.join(', ')})`;
}

/** Runs the ask here, in this process, with a trace in `traceDir` when one is set. */
function localRunner(traceDir: string | undefined): McpRunner {
  return async ({ options, context, query, signal }) => {
    const trace = traceDir ? await openTrace(traceDir, context) : undefined;
    try {
      const { onEvent } = options;
      const rlm = new RLM({ ...options, onEvent: (event) => (onEvent?.(event), trace?.onEvent(event)) });
      return { result: await rlm.run({ context, query, signal }), where: trace?.path };
    } finally {
      await trace?.close();
    }
  };
}

async function openTrace(dir: string, context: ContextValue | Corpus) {
  const { JsonlTrace } = await import('../trace/jsonl.ts');
  const path = join(dir, `ask-${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}.jsonl`);
  const trace = new JsonlTrace(path, { context });
  return { path, onEvent: trace.onEvent, close: () => trace.close() };
}
