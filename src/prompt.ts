/**
 * What the root model reads: the system prompt (per REPL language), the metadata message that
 * stands in for the context, and the per-turn messages of the loop.
 */
import type { ContextValue } from './sandboxes/sandbox.ts';

export interface PromptOptions {
  /** The run's recursion depth; 0 means no sub-calls at all. */
  maxDepth: number;
  /** Whether `rlm_query` starts a child RLM from this level (else it is a plain model call). */
  canRecurse?: boolean;
  /** Rough characters a sub-call can take, to size chunks (default 500,000). */
  subCallChars?: number;
  /** Extra paragraph appended, e.g. a warning for weaker models. */
  extra?: string;
  /** The user's tools, listed for the model. */
  tools?: Array<{ name: string; description: string }>;
}

/** The JavaScript system prompt: the paper's structure and guidance, in JavaScript terms. */
export function javascriptSystemPrompt(options: PromptOptions): string {
  const chars = (options.subCallChars ?? 500_000).toLocaleString('en-US');
  if (options.maxDepth === 0) {
    return javascriptSystemPrompt({ ...options, maxDepth: 1, canRecurse: false }) + '\n\nIn this run sub-calls are off: llm_query and rlm_query fail. Answer with the REPL alone: search, parse and compute over `context` in code.';
  }
  const recursion =
    (options.canRecurse ?? options.maxDepth > 1)
      ? '`rlm_query(prompt, context?)` starts a child RLM with its own REPL (the given context becomes its `context`) for sub-tasks too large or intricate for one call.'
      : '`rlm_query(prompt, context?)` behaves like `llm_query` here (the child gets the prompt followed by the context).';
  return `You are tasked with answering a query with associated context. You can access, transform, and analyze this context interactively in a JavaScript REPL environment that can recursively query sub-LLMs, which you are strongly encouraged to use as much as possible. You will be queried iteratively until you provide a final answer.

The context is far larger than what you should read directly. You see only its metadata; the text itself is in the REPL.

The REPL environment is initialized with:
1. A \`context\` variable that contains extremely important information about your query. Look through it before answering.
2. \`await llm_query(prompt, { model? })\`: asks a sub-LLM and returns its answer as a string. Sub-LLMs are powerful: they can take around ${chars} characters per call, so give each call a large, well-chosen slice, not one line.
3. \`await llm_query_batched(prompts)\`: runs many prompts concurrently and returns the answers in the same order (a failed prompt gives a string starting with "Error:" in its slot). Calls also overlap with \`Promise.all\`.
4. ${recursion}
5. \`print(...)\` (or \`console.log\`) to see values; a cell that prints nothing shows its last expression's value. Output is truncated, so print only what you need to see and keep the rest in variables.
6. \`SHOW_VARS()\` lists your variables; \`budget()\` returns what this run has spent (calls, tokens, cost, time) and what is left.
7. \`FINAL(value)\` ends the task with \`value\` as the answer; \`FINAL_VAR("name")\` ends it with the value of your variable \`name\`.${toolList(options.tools)}

Write code in fenced blocks tagged \`repl\`:
\`\`\`repl
const head = context.slice(0, 10000);
print(head);
\`\`\`
Variables, functions and classes declared at the top level of a block persist across blocks. Top-level \`await\` works. There is no file system, network, \`require\` or \`import\`, and no timers; each block has a time limit.

Work in steps:
- Look first: check the type and size of \`context\`, print a few samples, find its structure (headers, separators, records).
- Then decide how to split it (by headers, by records, by size), filter with regular expressions or keyword searches where that narrows things down, and hand the parts to sub-LLMs with precise questions.
- Use variables as buffers: collect the sub-answers in arrays, combine them in code, and ask a final sub-LLM call to synthesize when needed.
- Batch: about ${chars} characters per sub-call is fine. Prefer tens of large calls to thousands of tiny ones, and always run independent calls concurrently (\`Promise.all\` or \`llm_query_batched\`); one call after another is slow.
- Act, don't only plan: every reply before the last should contain a \`repl\` block that makes progress.

Example: split by markdown headers and summarise each section concurrently.
\`\`\`repl
const sections = context.split(/\\n(?=#{1,3} )/);
const summaries = await llm_query_batched(
  sections.map((s) => \`Summarise this section in two sentences, keeping any figures:\\n\\n\${s}\`),
);
print(summaries.map((s, i) => \`[\${i}] \${s}\`).join('\\n').slice(0, 5000));
\`\`\`

Example: a long context in ten chunks, each asked the same question, then combined.
\`\`\`repl
const size = Math.ceil(context.length / 10);
const chunks = Array.from({ length: 10 }, (_, i) => context.slice(i * size, (i + 1) * size));
const found = await Promise.all(
  chunks.map((c) => llm_query(\`Does this text say who founded the company? Quote the sentence, or say NONE.\\n\\n\${c}\`)),
);
const hits = found.filter((f) => !f.includes('NONE'));
print(hits);
\`\`\`

Example: walk a book chapter by chapter with a running buffer, when each step needs the last.
\`\`\`repl
const chapters = context.split(/\\nChapter \\d+/);
let notes = '';
for (const [i, chapter] of chapters.entries()) {
  notes = await llm_query(\`Notes so far:\\n\${notes}\\n\\nUpdate the notes with what chapter \${i + 1} adds about the query.\\n\\n\${chapter}\`);
}
print(notes);
\`\`\`

Example: search first, then confirm only the matches.
\`\`\`repl
const lines = context.split('\\n');
const candidates = lines.filter((l) => /magic number/i.test(l));
print(candidates.length, candidates.slice(0, 5));
\`\`\`

When you are done, give the answer from code, after you have seen the output that supports it:
\`\`\`repl
FINAL(answer)      // or FINAL_VAR("answer")
\`\`\`
FINAL ends the task only when called in code or written alone as the last line of a reply with no code block. A FINAL written next to a code block is ignored: you have not seen that code's output yet. Do not give your plan as the answer; the answer must address the query itself.${options.extra ? `\n\n${options.extra}` : ''}`;
}

function toolList(tools: PromptOptions['tools']): string {
  if (!tools?.length) return '';
  const lines = tools.map((t) => `   - \`${t.name}\`: ${t.description}`);
  return `\n8. Tools (async functions: \`await\` them; arguments and results are JSON data):\n${lines.join('\n')}`;
}

/** Describes the context without showing it: type, size, per-item lengths and a short prefix. */
export function contextMetadata(context: ContextValue, prefixChars = 300): string {
  const lines: string[] = [];
  if (typeof context === 'string') {
    lines.push(`Your context is a string of ${context.length.toLocaleString('en-US')} characters.`);
    lines.push(`It starts with:\n"""\n${context.slice(0, prefixChars)}\n"""`);
    return lines.join('\n');
  }
  if (Array.isArray(context)) {
    const lengths = context.map((item: unknown) => (typeof item === 'string' ? item.length : JSON.stringify(item)?.length ?? 0));
    const total = lengths.reduce((a, b) => a + b, 0);
    const kind = context.every((item: unknown) => typeof item === 'string') ? 'strings' : 'items';
    lines.push(`Your context is a list of ${context.length.toLocaleString('en-US')} ${kind}, ${total.toLocaleString('en-US')} characters in total.`);
    const shown = lengths.slice(0, 100).map((n, i) => `${i}: ${n.toLocaleString('en-US')}`);
    const more = context.length > 100 ? `, ... and ${(context.length - 100).toLocaleString('en-US')} more` : '';
    lines.push(`Lengths of its items (characters): ${shown.join(', ')}${more}.`);
    const first: unknown = context[0];
    if (first !== undefined) {
      const text = typeof first === 'string' ? first : JSON.stringify(first);
      lines.push(`context[0] starts with:\n"""\n${text.slice(0, prefixChars)}\n"""`);
    }
    return lines.join('\n');
  }
  const json = JSON.stringify(context) ?? String(context);
  lines.push(`Your context is a ${context === null ? 'null' : typeof context} value; as JSON it has ${json.length.toLocaleString('en-US')} characters.`);
  lines.push(`As JSON it starts with:\n"""\n${json.slice(0, prefixChars)}\n"""`);
  return lines.join('\n');
}

export function firstTurnMessage(metadata: string, query: string): string {
  return `${metadata}

Query: ${query}

You have not looked at the context yet. Do not answer yet: first explore \`context\` in a \`repl\` block (its structure, a sample), then work toward the answer step by step.`;
}

export interface CellReport {
  output: string;
  error?: string;
  restarted: boolean;
  final?: string;
}

/** The next user message: each block's (truncated) output, in order. */
export function outputsMessage(reports: CellReport[], query: string, iteration: number, maxIterations: number, ignoredFinal: boolean): string {
  const parts = reports.map((r, i) => {
    const head = reports.length > 1 ? `Output of block ${i + 1} of ${reports.length}:` : 'Output:';
    const body = r.output.length > 0 ? r.output.replace(/\n$/, '') : '(no output)';
    const error = r.error ? `\n${r.error}` : '';
    const restart = r.restarted
      ? '\nThe REPL had to be restarted: all your variables are gone; `context` and the REPL functions are there again.'
      : '';
    return `${head}\n${body}${error}${restart}`;
  });
  if (ignoredFinal) {
    parts.push(
      'Your reply had FINAL next to a code block, so it was not taken as the answer: you had not seen the output yet. Check the output above, then call FINAL(...) or FINAL_VAR("name") from code.',
    );
  }
  const left = maxIterations - iteration;
  parts.push(
    `${left} iteration${left === 1 ? '' : 's'} left. Continue with the REPL to answer the query: ${query}`,
  );
  return parts.join('\n\n');
}

export function noCodeMessage(query: string): string {
  return `Your reply had no \`repl\` code block and no final answer. Write code in a \`\`\`repl block to make progress, or call FINAL(...) from code once you know the answer. The query: ${query}`;
}

export function unknownFinalVarMessage(name: string, names: string[]): string {
  const known = names.filter((n) => n !== 'context');
  return `FINAL_VAR(${name}): there is no variable named "${name}"${known.length ? `; your variables: ${known.join(', ')}` : ''}. Set it in a repl block first, or call FINAL(value).`;
}

export function compactionRequest(): string {
  return 'Your conversation is close to the limit of your context window, so it will be replaced by a summary you write now. Summarise your progress for yourself: what you have learned about the context and the query, which REPL variables hold which results (they all persist), what you tried that did not work, and what remains to do. Be specific and complete; write no code in this reply.';
}

export function compactedMessage(iteration: number, maxIterations: number): string {
  return `The conversation was compacted: your summary above replaces it. Your REPL variables are all still there, and the full conversation is in the REPL as \`history\` (an array of { role, content }). ${maxIterations - iteration} iterations left. Continue.`;
}

export function limitReachedMessage(reason: string): string {
  return `The run has reached a limit (${reason}) and was stopped: no more code will run and no more calls can be made. From what you have found so far, give your best final answer now, as FINAL(your answer) on the last line of your reply.`;
}

export function forceFinalMessage(iterations: number): string {
  return `You have used all ${iterations} iterations. No more code will run. From what you have found, give your best final answer now, as FINAL(your answer) on the last line of your reply.`;
}
