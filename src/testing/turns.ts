/**
 * Scripts for a root model that replies turn by turn: the reply is chosen by how many assistant
 * messages the conversation already holds, so the same script serves any number of runs.
 */
import type { ScriptedReply, ScriptedRequest } from './scripted-server.ts';

/** One root turn's reply: fixed, or made from the request (to echo what the REPL printed...). */
export type Turn = ScriptedReply | ((request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>);

/** The turn the request is asking for: 0 for the first reply of a run. */
export function turnIndex(request: ScriptedRequest): number {
  return request.messages.filter((m) => m.role === 'assistant').length;
}

/** Replies with `turns[n]` on the n-th turn; past the end, repeats the last turn. */
export function byTurn(turns: readonly Turn[]): (request: ScriptedRequest) => Promise<ScriptedReply> {
  return async (request) => {
    const turn = turns[Math.min(turnIndex(request), turns.length - 1)];
    if (turn === undefined) throw new Error('byTurn needs at least one turn');
    return typeof turn === 'function' ? turn(request) : turn;
  };
}

/**
 * Wraps code in a ```repl fence, optionally after some prose: the reply a root model writes to run a cell.
 *
 * @example
 * const root = byTurn([repl("print(context.length)"), repl("FINAL('done')")]);
 */
export function repl(code: string, prose = ''): string {
  return `${prose ? `${prose}\n` : ''}\`\`\`repl\n${code}\n\`\`\``;
}
