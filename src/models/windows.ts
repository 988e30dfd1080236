/**
 * Context windows in tokens (what a prompt may hold), for deciding when to compact a root
 * model's history and how much context the benchmark's baselines can show. A model not
 * listed gets a conservative default; users can give the window of theirs.
 */
const WINDOWS: Readonly<Record<string, number>> = {
  // GPT-5's window is 400K tokens with up to 128K of them kept for the output (its reasoning
  // included): a prompt may be 272K at most.
  'gpt-5': 272_000,
  'gpt-5-mini': 272_000,
  'gpt-5-nano': 272_000,
  'gpt-4.1': 1_047_576,
  'gpt-4.1-mini': 1_047_576,
  'gpt-4.1-nano': 1_047_576,
  'gpt-4o': 128_000,
  'gpt-4o-mini': 128_000,
  o3: 200_000,
  'o4-mini': 200_000,
  'claude-sonnet-5-5': 1_000_000,
  'claude-sonnet-5': 1_000_000,
  'claude-opus-4-1': 200_000,
  'claude-sonnet-4-5': 200_000,
  'claude-haiku-4-5': 200_000,
  'gemini-2.5-pro': 1_048_576,
  'gemini-2.5-flash': 1_048_576,
};

/** The window assumed for a model the table does not know, in tokens. */
export const DEFAULT_WINDOW = 128_000;

/** A model's context window in tokens: the table's, else {@link DEFAULT_WINDOW}. */
export function contextWindowOf(modelId: string): number {
  return knownContextWindow(modelId) ?? DEFAULT_WINDOW;
}

/** The window of a model in the table (also by its name without a provider prefix or a date); undefined for any other. */
export function knownContextWindow(modelId: string): number | undefined {
  const bare = modelId.includes('/') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId;
  return WINDOWS[modelId] ?? WINDOWS[bare] ?? WINDOWS[bare.replace(/-\d{4}-?\d{2}-?\d{2}$/, '')];
}
