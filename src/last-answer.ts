/**
 * After a limit stopped the tree: one request for the root's best answer, out of what the budget
 * held back for it (a call, tokens, cost, and the end of the time limit). Only a FINAL(...) or a
 * FINAL_VAR(...) of a variable in the REPL is an answer; any other reply is not passed off as one.
 */
import type { RunConfig } from './config.ts';
import type { Conversation } from './conversation.ts';
import type { BudgetExceededError } from './errors.ts';
import type { GenerateRequest } from './models/model.ts';
import type { NodeOutcome } from './node.ts';
import { limitReachedMessage } from './prompt.ts';
import { lastLineFinal, stripFences } from './protocol.ts';
import type { RunTree } from './run-tree.ts';

/** Output room for the last answer: a FINAL line, and some thinking before it. */
const LAST_ANSWER_OUTPUT_TOKENS = 4_096;
const LAST_ANSWER_TIMEOUT_MS = 120_000;

export async function lastAnswer(tree: RunTree, root: NodeOutcome, reason: BudgetExceededError): Promise<string | undefined> {
  const model = tree.modelAt(0, 'root', true);
  const left = tree.timeLeftMs();
  if (left !== undefined && left <= 0) return undefined;
  const signal = AbortSignal.any([
    ...(tree.userSignal ? [tree.userSignal] : []),
    AbortSignal.timeout(Math.min(left ?? Infinity, LAST_ANSWER_TIMEOUT_MS)),
  ]);
  try {
    const reply = await model.generate({ ...lastAnswerRequest(tree.config, root.conversation, root.runId, reason.message), signal });
    const final = lastLineFinal(stripFences(reply.text));
    if (!final) return undefined;
    const answer = await root.repl.resolve(final);
    return answer.found ? answer.value : undefined;
  } catch {
    return undefined;
  }
}

/** The last request after a limit: the conversation so far and one message asking for the answer. */
export function lastAnswerRequest(config: RunConfig, conversation: Conversation, runId: string, reason: string): GenerateRequest {
  return conversation.requestWith(limitReachedMessage(reason), runId, {
    maxOutputTokens: config.maxOutputTokens ?? LAST_ANSWER_OUTPUT_TOKENS,
  });
}
