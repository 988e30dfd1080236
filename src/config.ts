/**
 * A run's settings, resolved once: the only place that knows the defaults of an RLM. Everything
 * below `RLM` reads a frozen {@link RunConfig} instead of the options the caller gave, and the
 * trace records {@link recordedSettings} of it, so a replay runs with exactly the same values.
 */
import type { BudgetLimits } from './budget.ts';
import { RlmError } from './errors.ts';
import type { Model } from './models/model.ts';
import type { PriceTable } from './models/prices.ts';
import type { RetryOptions } from './models/retry.ts';
import { REPL_NAMES, SANDBOX_DEFAULTS, sandboxSettings, type ReplLanguage } from './sandboxes/index.ts';
import type { EventSink, RunSettings } from './trace/events.ts';
import type { RLMOptions, Tool } from './options.ts';

/** The defaults of the run itself; the REPL's own (memory, output, cell time) are the sandbox's. */
const RUN_DEFAULTS = {
  repl: 'javascript',
  maxIterations: 30,
  maxDepth: 1,
  concurrency: 16,
  maxConcurrentChildren: 8,
  compactAt: 0.8,
} as const;

/** Every default of an RLM, for what shows them (the CLI's help); applied only by {@link resolveRunConfig}. */
export const DEFAULTS = Object.freeze({ ...RUN_DEFAULTS, ...SANDBOX_DEFAULTS });

/** Every setting of a run with its default applied; frozen. */
export interface RunConfig {
  readonly repl: ReplLanguage;
  readonly maxIterations: number;
  readonly maxDepth: number;
  readonly maxOutputChars: number;
  readonly cellTimeoutMs: number;
  readonly memoryLimitMb: number;
  readonly concurrency: number;
  readonly maxConcurrentChildren: number;
  readonly compactAt: number;
  /** The root model's window, when the caller gave it; else the built-in table's, per model. */
  readonly contextWindow: number | undefined;
  readonly maxOutputTokens: number | undefined;
  readonly limits: Readonly<BudgetLimits>;
  /** A system prompt that replaces the built-in one. */
  readonly systemPrompt: string | undefined;
  /**
   * The model at each depth, from 0 (the root) to `maxDepth + 1`: depth d's RLMs and the plain
   * sub-calls made from depth d - 1 use `models[d]`.
   */
  readonly models: readonly Model[];
  readonly tools: Readonly<Record<string, Tool>>;
  readonly prices: PriceTable | undefined;
  readonly retry: RetryOptions | undefined;
  readonly memo: RLMOptions['memo'];
  readonly onEvent: EventSink | undefined;
}

/**
 * Checks the options (a zero or negative number, a bad REPL name or tool name is refused here,
 * with the option's name, rather than failing every cell later) and applies the defaults.
 */
export function resolveRunConfig(options: RLMOptions): RunConfig {
  checkNumbers(options);
  checkToolNames(options.tools);
  const maxDepth = options.maxDepth ?? RUN_DEFAULTS.maxDepth;
  const sandbox = sandboxSettings({
    ...(options.memoryLimitMb === undefined ? {} : { memoryLimitMb: options.memoryLimitMb }),
    ...(options.maxOutputChars === undefined ? {} : { maxOutputChars: options.maxOutputChars }),
    ...(options.cellTimeoutMs === undefined ? {} : { cellTimeoutMs: options.cellTimeoutMs }),
  });
  return Object.freeze({
    repl: options.repl ?? RUN_DEFAULTS.repl,
    maxIterations: options.maxIterations ?? RUN_DEFAULTS.maxIterations,
    maxDepth,
    maxOutputChars: sandbox.maxOutputChars,
    cellTimeoutMs: sandbox.cellTimeoutMs,
    memoryLimitMb: sandbox.memoryLimitMb,
    concurrency: options.concurrency ?? RUN_DEFAULTS.concurrency,
    maxConcurrentChildren: options.maxConcurrentChildren ?? RUN_DEFAULTS.maxConcurrentChildren,
    compactAt: options.compactAt ?? RUN_DEFAULTS.compactAt,
    contextWindow: options.contextWindow,
    maxOutputTokens: options.maxOutputTokens,
    limits: Object.freeze({ ...options.limits }),
    systemPrompt: options.systemPrompt,
    models: Object.freeze(Array.from({ length: maxDepth + 2 }, (_, depth) => modelAt(options, depth))),
    tools: Object.freeze({ ...options.tools }),
    prices: options.prices,
    retry: options.retry,
    memo: options.memo,
    onEvent: options.onEvent,
  });
}

/** The model used at `depth`: the one named for that depth, else the sub-model (below the root), else the root's. */
function modelAt(options: RLMOptions, depth: number): Model {
  return options.modelsByDepth?.[depth] ?? (depth === 0 ? options.model : (options.subModel ?? options.model));
}

/** The model of `config` at `depth`; deeper than the table reaches, the deepest one's. */
export function configModelAt(config: RunConfig, depth: number): Model {
  return config.models[Math.min(depth, config.models.length - 1)]!;
}

/** The user's tools as the system prompt lists them. */
export function toolDescriptions(config: RunConfig): Array<{ name: string; description: string }> {
  return Object.entries(config.tools).map(([name, tool]) => ({ name, description: tool.description }));
}

/** What the trace records of a run's config: JSON data, enough for a replay to run it the same way. */
export function recordedSettings(config: RunConfig): RunSettings {
  const tools = toolDescriptions(config);
  const limits = Object.fromEntries(Object.entries(config.limits).filter(([, value]) => value !== undefined));
  return {
    repl: config.repl,
    maxIterations: config.maxIterations,
    maxDepth: config.maxDepth,
    maxOutputChars: config.maxOutputChars,
    cellTimeoutMs: config.cellTimeoutMs,
    memoryLimitMb: config.memoryLimitMb,
    concurrency: config.concurrency,
    maxConcurrentChildren: config.maxConcurrentChildren,
    models: config.models.map((model) => model.id),
    compactAt: config.compactAt,
    ...(config.contextWindow === undefined ? {} : { contextWindow: config.contextWindow }),
    ...(config.maxOutputTokens === undefined ? {} : { maxOutputTokens: config.maxOutputTokens }),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(tools.length > 0 ? { tools } : {}),
    ...(config.systemPrompt === undefined ? {} : { systemPrompt: config.systemPrompt }),
  };
}

type Rule = 'positive' | 'positive integer' | 'non-negative integer' | 'share';

const RULES: Partial<Record<keyof RLMOptions, Rule>> = {
  maxIterations: 'positive integer',
  maxOutputChars: 'positive integer',
  cellTimeoutMs: 'positive',
  memoryLimitMb: 'positive',
  concurrency: 'positive integer',
  maxConcurrentChildren: 'positive integer',
  maxDepth: 'non-negative integer',
  maxOutputTokens: 'positive integer',
  compactAt: 'share',
  contextWindow: 'positive integer',
};

/** A zero or negative limit would fail every cell or call later, far from the mistake (`cellTimeoutMs: 0`). */
function checkNumbers(options: RLMOptions): void {
  for (const [name, rule] of Object.entries(RULES) as Array<[keyof RLMOptions, Rule]>) {
    const value = options[name];
    if (value === undefined) continue;
    if (!fits(value, rule))
      throw new RlmError(
        'RLM_USAGE',
        `${name} must be a ${rule === 'share' ? 'number above 0 and at most 1' : `${rule} number`}, got ${String(value)}`,
      );
  }
  if (options.repl !== undefined && options.repl !== 'javascript' && options.repl !== 'python') {
    throw new RlmError('RLM_USAGE', `repl must be 'javascript' or 'python', got ${String(options.repl)}`);
  }
}

function fits(value: unknown, rule: Rule): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  switch (rule) {
    case 'positive':
      return value > 0;
    case 'positive integer':
      return Number.isInteger(value) && value > 0;
    case 'non-negative integer':
      return Number.isInteger(value) && value >= 0;
    case 'share':
      return value > 0 && value <= 1;
  }
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
