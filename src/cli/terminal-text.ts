/**
 * Text from a run (an answer, an error, a cell's output) is written by model code, which text
 * hidden in a context can steer. On a terminal, control characters in it are commands: an escape
 * sequence can clear the screen and fake the answer, or set the clipboard (OSC 52). So on a
 * terminal every control character but newline and tab is shown as its escape (`\x1b`); through a
 * pipe or into a file the text stays exactly as the run gave it.
 */

// C0 controls but \t and \n, DEL, and the C1 controls (some terminals obey 0x9b as ESC [).
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function terminalText(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `terminalText` when the stream is a terminal, else the text as it is. */
export function forStream(text: string, isTTY: boolean): string {
  return isTTY ? terminalText(text) : text;
}
