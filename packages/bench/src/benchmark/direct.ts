/**
 * `direct`: the base model with the context in its prompt. A context larger than the window is
 * cut (its head kept) and the prompt says so, as the paper's base-model rows do; cut further if
 * the provider still finds the prompt too long.
 */
import { contextWindowOf } from 'rlm';
import { CHARS_PER_TOKEN, type TaskInstance } from '../tasks/task.ts';
import { RESERVE_TOKENS, runBaseline } from './baseline.ts';
import type { MethodOutcome, MethodSetup } from './methods.ts';
import { PROMPT_ATTEMPTS, promptTooLong, shorterText } from './prompt-too-long.ts';

/** The first words of a `direct` prompt (scripted test models recognise it by them). */
export const DIRECT_PROMPT_START = 'Answer the query from the context.';

export function runDirect(task: TaskInstance, setup: MethodSetup): Promise<MethodOutcome> {
  return runBaseline(
    task,
    setup,
    async ({ ask, note }) => {
      const window = setup.windowTokens ?? contextWindowOf(setup.model.id);
      let room = Math.max(0, (window - RESERVE_TOKENS) * CHARS_PER_TOKEN);
      for (let attempt = 1; ; attempt++) {
        const shown = task.context.length > room ? task.context.slice(0, room) : task.context;
        let cutNote = '';
        if (shown.length < task.context.length) {
          note({ cut: { shownChars: shown.length, totalChars: task.context.length } });
          cutNote = `\n\n[The context was cut to fit your window: only the first ${shown.length.toLocaleString('en-US')} of ${task.context.length.toLocaleString('en-US')} characters are shown.]`;
        }
        const prompt = directPrompt(shown + cutNote, task.query);
        try {
          return await ask(prompt);
        } catch (error) {
          // More tokens a character than estimated, or a smaller window: cut more and ask again.
          const refused = promptTooLong(error);
          if (!refused || attempt >= PROMPT_ATTEMPTS || shown.length === 0) throw error;
          room = shorterText(refused, prompt.length, shown.length);
        }
      }
    },
    'direct',
  );
}

/** The base model's prompt with the context in it (also `summary`'s, for a context that fits). */
export function directPrompt(context: string, query: string): string {
  return `${DIRECT_PROMPT_START}\n\nContext:\n${context}\n\nQuery: ${query}`;
}
