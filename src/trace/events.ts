/**
 * What a run reports as it goes. Every surface (progress line, trace file, tests) is a sink
 * that receives these; the loop never formats anything for a terminal.
 */
import type { Usage } from '../models/usage.ts';
import type { UsageReport } from '../budget.ts';

export type RunStatus = 'done' | 'max_iterations' | 'budget' | 'timeout' | 'cancelled' | 'error';
export type CallKind = 'root' | 'sub';

export type RlmEvent =
  | { type: 'run-start'; depth: number; query: string; contextChars: number; model: string; subModel: string }
  | { type: 'turn-start'; depth: number; iteration: number }
  | { type: 'model-call-start'; callId: number; depth: number; kind: CallKind; model: string }
  | {
      type: 'model-call-end';
      callId: number;
      depth: number;
      kind: CallKind;
      model: string;
      durationMs: number;
      usage?: Usage;
      error?: string;
    }
  | { type: 'retry'; model: string; attempt: number; delayMs: number; reason: string }
  | { type: 'compaction'; depth: number; iteration: number; summaryChars: number }
  | { type: 'cell-start'; depth: number; iteration: number; index: number; code: string }
  | {
      type: 'cell-end';
      depth: number;
      iteration: number;
      index: number;
      output: string;
      error?: string;
      restarted: boolean;
      durationMs: number;
    }
  | {
      type: 'run-end';
      depth: number;
      status: RunStatus;
      answer?: string;
      iterations: number;
      durationMs: number;
      usage: UsageReport;
    };

export type EventSink = (event: RlmEvent) => void;
