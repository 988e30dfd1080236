/**
 * The numbers an RLM is given, checked once when it is made: a zero or negative limit would fail
 * every cell or call later, far from the mistake (`cellTimeoutMs: 0` made every trivial cell time
 * out). Each is refused with the option's name and what it must be.
 */
import { RlmError } from './errors.ts';
import type { RLMOptions } from './rlm.ts';

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

export function checkOptions(options: RLMOptions): void {
  for (const [name, rule] of Object.entries(RULES) as Array<[keyof RLMOptions, Rule]>) {
    const value = options[name];
    if (value === undefined) continue;
    if (!fits(value, rule)) throw new RlmError('RLM_USAGE', `${name} must be a ${rule === 'share' ? 'number above 0 and at most 1' : `${rule} number`}, got ${String(value)}`);
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
