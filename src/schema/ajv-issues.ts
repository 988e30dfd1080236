/**
 * Ajv's errors as lines a model can act on. Ajv says `must be number` at `/items/2/price`; the
 * model is told `at .items[2].price: expected number, got string "12"`: the path as code writes
 * it (an index only where the value holds an array), and what it actually gave.
 */
import type { ErrorObject } from 'ajv';
import { issueLine, quote, valueText } from './issue-text.ts';

/** Enough allowed values to choose from; a long enum is cut. */
const MAX_CHOICES = 10;

/** The lines for Ajv's errors on `data`, in Ajv's order. */
export function ajvIssues(errors: readonly ErrorObject[], data: unknown): string[] {
  return errors.map((error) => {
    const { path, value } = locate(error.instancePath, data);
    return issueLine(path, describe(error, value));
  });
}

function describe(error: ErrorObject, value: unknown): string {
  const params = error.params as Record<string, unknown>;
  const got = `got ${valueText(value)}`;
  switch (error.keyword) {
    case 'type':
      return `expected ${String(params.type).split(',').join(' or ')}, ${got}`;
    case 'required':
      return `missing required property ${quote(String(params.missingProperty))}`;
    case 'dependentRequired':
    case 'dependencies':
      return `missing property ${quote(String(params.missingProperty))} (required with ${quote(String(params.property))})`;
    case 'additionalProperties':
      return `unexpected property ${quote(String(params.additionalProperty))}`;
    case 'unevaluatedProperties':
      return `unexpected property ${quote(String(params.unevaluatedProperty))}`;
    case 'enum':
      return `expected one of ${choices(params.allowedValues)}, ${got}`;
    case 'const':
      return `expected ${JSON.stringify(params.allowedValue)}, ${got}`;
    case 'format':
      return `expected a string in format ${quote(String(params.format))}, ${got}`;
    case 'false schema':
      return 'no value is allowed here';
    default: {
      // Ajv's own words ("must NOT have fewer than 2 characters"), with the value when it is short.
      const message = error.message ?? `fails "${error.keyword}"`;
      return value === null || typeof value !== 'object' ? `${message}, ${got}` : message;
    }
  }
}

function choices(values: unknown): string {
  const list = Array.isArray(values) ? values : [];
  const shown = list.slice(0, MAX_CHOICES).map((v) => JSON.stringify(v));
  return shown.join(', ') + (list.length > MAX_CHOICES ? `, ... (${list.length} in all)` : '');
}

/** Walks a JSON Pointer through the data: the keys, numbers where the step is into an array, and the value there. */
function locate(pointer: string, data: unknown): { path: PropertyKey[]; value: unknown } {
  const path: PropertyKey[] = [];
  let value = data;
  if (pointer === '') return { path, value };
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      path.push(Number(key));
      value = value[Number(key)];
    } else {
      path.push(key);
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
  }
  return { path, value };
}
