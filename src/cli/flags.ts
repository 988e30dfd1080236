/** Flag values read the same way by every command, each refused in one line that names the flag. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RlmError } from '../errors.ts';

/** A mistake in what the user typed: one line on stderr, exit 2. */
export function usageError(message: string): RlmError {
  return new RlmError('RLM_USAGE', message);
}

/** A whole number of at least `min` (underscores allowed: `10_000`). */
export function wholeNumber(flag: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim().replace(/_/g, '');
  if (/^-?\d+(\.\d+)?$/.test(text) && Number(text) < min) throw usageError(`${flag} must be at least ${min}, got ${raw.trim()}`);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw usageError(`${flag} expects a whole number${min > 0 ? ` of at least ${min}` : ''}, got '${raw}'`);
  }
  return Number(text);
}

/** An amount in USD above 0, with or without its `$`. */
export function usd(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim().replace(/^\$/, '');
  if (/^-?(\d+(\.\d*)?|\.\d+)$/.test(text) && Number(text) <= 0) throw usageError(`${flag} must be more than $0, got ${raw.trim()}`);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) throw usageError(`${flag} expects an amount in USD above 0, got '${raw}'`);
  return Number(text);
}

/**
 * `--timeout -5` as `--timeout=-5`: parseArgs takes a value that starts with a dash for a flag of
 * its own and says the value is missing, when the mistake is the number, which the flag's own
 * check then names.
 */
export function negativeValuesAttached(
  argv: readonly string[],
  options: Readonly<Record<string, { type: string; short?: string }>>,
): string[] {
  const takesValue = new Set<string>();
  for (const [name, option] of Object.entries(options)) {
    if (option.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (option.short) takesValue.add(`-${option.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (takesValue.has(arg) && next !== undefined && /^-(\d|\.\d|\$)/.test(next)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** `--base-url`: an http(s) URL, without trailing slashes. */
export function httpUrl(raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error();
    return raw.replace(/\/+$/, '');
  } catch {
    throw usageError(`--base-url expects an http(s) URL, got '${raw}'`);
  }
}

/** A folder that exists, as an absolute path. */
export async function existingFolder(flag: string, path: string, cwd: string): Promise<string> {
  const abs = resolve(cwd, path);
  const isFolder = await stat(abs).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isFolder) throw usageError(`${flag} ${path}: no such folder`);
  return abs;
}
