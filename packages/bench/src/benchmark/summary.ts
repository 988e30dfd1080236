/**
 * `summary`: the paper's summary-agent baseline. When the context does not fit the window, the
 * agent reads it in window-sized parts, one after another, carrying notes from part to part —
 * everything it judges useful for the query — and answers from the notes at the end. The notes
 * are written by the sub-model (the paper compresses with a smaller model) and the answer by the
 * base model. A context that fits is answered directly.
 */
import { contextWindowOf, knownContextWindow } from 'rlm';
import { CHARS_PER_TOKEN, type TaskInstance } from '../tasks/task.ts';
import { RESERVE_TOKENS, runBaseline } from './baseline.ts';
import { chunkText } from './chunks.ts';
import { directPrompt } from './direct.ts';
import type { MethodOutcome, MethodSetup } from './methods.ts';
import { PROMPT_ATTEMPTS, promptTooLong, shorterText } from './prompt-too-long.ts';

/** The first words of a note-taking prompt and of the final one (scripted test models use them). */
export const SUMMARY_PART_START = 'You are reading a long context in parts';
export const SUMMARY_ANSWER_START = 'Answer the query from these notes';

/** The notes' share of the window, at most 8K tokens: the rest is for the part being read. */
function notesTokens(window: number): number {
  return Math.min(8_000, Math.floor(window / 8));
}

/**
 * The window the parts are cut for. The sub-model reads them: when it is another model whose
 * window is known to be smaller (gpt-4.1 answering, gpt-4o-mini reading), the parts fit its window.
 */
function readerWindow(setup: MethodSetup, baseWindow: number): number {
  const reader = setup.subModel ?? setup.model;
  const known = reader.id === setup.model.id ? undefined : knownContextWindow(reader.id);
  return known === undefined ? baseWindow : Math.min(baseWindow, known);
}

export function runSummary(task: TaskInstance, setup: MethodSetup): Promise<MethodOutcome> {
  return runBaseline(
    task,
    setup,
    async ({ ask, note }) => {
      const baseWindow = setup.windowTokens ?? contextWindowOf(setup.model.id);
      if (task.context.length <= (baseWindow - RESERVE_TOKENS) * CHARS_PER_TOKEN) {
        return ask(directPrompt(task.context, task.query));
      }
      const window = readerWindow(setup, baseWindow);
      const notesChars = notesTokens(window) * CHARS_PER_TOKEN;
      const words = Math.floor(notesChars / 6);
      let parts = chunkText(task.context, Math.max(1_000, (window - RESERVE_TOKENS - notesTokens(window)) * CHARS_PER_TOKEN));
      let notes = '';
      let refusals = 0;
      for (let i = 0; i < parts.length;) {
        const part = parts[i]!;
        const prompt =
          `${SUMMARY_PART_START}, one at a time, to answer a query at the end. Keep notes of everything in the parts read so far that could help answer the query: facts, names, numbers, running counts, exact quotes of relevant lines. The notes are all you keep of a part once you move on.\n\n` +
          `Query: ${task.query}\n\nNotes so far${i === 0 ? '' : ` (from parts 1 to ${i})`}:\n${notes || '(none yet)'}\n\n` +
          `Part ${i + 1} of ${parts.length}:\n${part.text}\n\nWrite the updated notes, at most ${words.toLocaleString('en-US')} words. Reply with the notes only.`;
        let reply: string;
        try {
          reply = await ask(prompt, 'sub');
        } catch (error) {
          // More tokens a character than estimated, or a smaller window: the rest of the context,
          // from this part on, is cut again into smaller parts; the notes so far are kept.
          const refused = promptTooLong(error);
          if (!refused || ++refusals >= PROMPT_ATTEMPTS) throw error;
          const rest = chunkText(task.context.slice(part.start), Math.max(1_000, shorterText(refused, prompt.length, part.text.length)));
          parts = [...parts.slice(0, i), ...rest.map((chunk) => ({ ...chunk, start: chunk.start + part.start }))];
          continue;
        }
        // Notes past their share would push the next part out of the window.
        notes =
          reply.length > notesChars
            ? `${reply.slice(0, notesChars)}\n[notes cut at ${notesChars.toLocaleString('en-US')} characters]`
            : reply;
        i++;
      }
      note({ summarised: { parts: parts.length } });
      return ask(
        `${SUMMARY_ANSWER_START}, taken while reading a long context in ${parts.length} parts.\n\nNotes:\n${notes}\n\nQuery: ${task.query}`,
      );
    },
    'summary',
  );
}
