/**
 * What shapes a method's runs beyond the task: its models, the window the baselines fit into, how
 * retrieval cuts and picks passages, the REPL. A result run with other settings is not the same
 * run, so resuming into a results file written with other settings is refused rather than mixed.
 */
import { contextWindowOf, RlmError } from 'rlm';
import { RETRIEVAL_DEFAULTS } from './retrieval.ts';
import type { MethodName, MethodSetup } from './methods.ts';

/** The settings that shaped a method's result (models, window, passages, REPL), by name. */
export type MethodSettings = Record<string, string | number>;

type SettingsSetup = Pick<MethodSetup, 'model' | 'subModel' | 'repl' | 'windowTokens' | 'retrieval'>;

/** The settings a method's result depends on, as recorded in each row of the results. */
export function methodSettings(method: MethodName, setup: SettingsSetup): MethodSettings {
  const model = setup.model.id;
  const subModel = (setup.subModel ?? setup.model).id;
  const repl = setup.repl ?? 'javascript';
  const window = setup.windowTokens ?? contextWindowOf(model);
  switch (method) {
    case 'rlm':
      return { model, subModel, repl };
    case 'rlm-no-subcalls':
      return { model, repl };
    case 'direct':
      return { model, window };
    case 'summary':
      return { model, subModel, window };
    case 'retrieval': {
      const { chunkTokens, topK } = { ...RETRIEVAL_DEFAULTS, ...setup.retrieval };
      return { model, window, passage: chunkTokens, topK };
    }
  }
}

const LABELS: Record<string, string> = {
  model: 'model',
  subModel: 'sub-model',
  repl: 'REPL',
  window: 'window',
  passage: 'passage size',
  topK: 'top-k',
};

/**
 * Refuses earlier results of the methods about to run whose settings differ from this bench's:
 * resumed, they would be reported as runs of the new settings. Rows written without settings
 * cannot be told apart and are taken as they are.
 */
export function checkResumable(
  rows: ReadonlyArray<{ method: MethodName; settings?: MethodSettings }>,
  methods: readonly MethodName[],
  setup: SettingsSetup,
  resultsPath: string,
): void {
  for (const method of methods) {
    const now = methodSettings(method, setup);
    for (const row of rows) {
      if (row.method !== method || row.settings === undefined) continue;
      const changed = Object.keys(now).find((key) => row.settings![key] !== now[key]);
      if (changed === undefined) continue;
      throw new RlmError(
        'RLM_USAGE',
        `${resultsPath} holds ${method} results run with ${LABELS[changed] ?? changed} ${String(row.settings[changed] ?? 'unset')}, not ${String(now[changed])}: give another output folder to run with other settings, or remove the file to start again`,
      );
    }
  }
}
