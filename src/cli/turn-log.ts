/**
 * Each turn as it happens, for a person watching (`rlm ask --verbose`, `rlm demo`): what the
 * model said outside its code, the code of each cell, and what the cell printed.
 */
import type { EventSink } from '../trace/events.ts';

export interface TurnLogOptions {
  /** Writes one block of lines (no trailing newline). */
  write: (text: string) => void;
  /** Characters of a cell's output shown (default 1200). */
  maxOutputChars?: number;
}

export function turnLog(options: TurnLogOptions): EventSink {
  const max = options.maxOutputChars ?? 1200;
  return (event) => {
    const where = 'depth' in event && event.depth > 0 ? ` (depth ${event.depth}, ${'runId' in event ? event.runId : ''})` : '';
    if (event.type === 'model-call-end' && event.kind === 'root' && event.text !== undefined) {
      const prose = withoutCode(event.text);
      if (prose) options.write(indent(`── the model${where}:\n${clip(prose, max)}`));
    }
    if (event.type === 'cell-start') options.write(indent(`── turn ${event.iteration}${where}, code:\n${event.code.replace(/\n$/, '')}`));
    if (event.type === 'cell-end') {
      const shown = [clip(event.output, max), event.error ?? ''].filter((part) => part.trim() !== '').join('\n');
      options.write(indent(`── output:${shown ? `\n${shown}` : ' (nothing printed)'}\n`));
    }
  };
}

/** The reply without its fenced code blocks: the code is shown with its cell. */
function withoutCode(text: string): string {
  return text
    .replace(/```[^\n]*\n[\s\S]*?(```|$)/g, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n[... ${text.length - max} more characters]` : text.replace(/\n$/, '');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '' : `  ${line}`))
    .join('\n');
}
