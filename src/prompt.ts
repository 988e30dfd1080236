/**
 * What the root model reads: the system prompt (per REPL language), the metadata message that
 * stands in for the context, and the per-turn messages of the loop.
 */
import { MAX_ANSWER_CHARS, MAX_PROMPT_CHARS } from './sandboxes/index.ts';
import type { ContextValue, ReplLanguage } from './sandboxes/index.ts';

/**
 * A whole number with thousands separators (`1,234,567`). Not `toLocaleString`: its first call
 * loads ICU's locale data, 10-40 ms on the path of every run's first request.
 */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

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
  const chars = thousands(options.subCallChars ?? 500_000);
  if (options.maxDepth === 0) {
    return (
      javascriptSystemPrompt({ ...options, maxDepth: 1, canRecurse: false }) +
      '\n\nIn this run sub-calls are off: llm_query and rlm_query fail. Answer with the REPL alone: search, parse and compute over `context` in code.'
    );
  }
  const recursion =
    (options.canRecurse ?? options.maxDepth > 1)
      ? "`await rlm_query(prompt, context?, { model? })` starts a child RLM with its own REPL (the given context becomes its `context`) for sub-tasks too large or intricate for one call; `rlm_query(prompt, { model })` picks the model without a context. Give `{ schema }` (a JSON Schema as a plain object) as the third argument to get data back: `const r = await rlm_query(prompt, part, { schema: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] } })` gives the object itself, checked against the schema (pass `undefined` as the context to give none); `rlm_query_batched(prompts, contexts, { schema })` does the same for each prompt."
      : '`await rlm_query(prompt, context?, { model? })` behaves like `llm_query` here (the child gets the prompt followed by the context). With `{ schema }` as the third argument (a JSON Schema as a plain object), the sub-LLM is asked for JSON and you get the checked value itself; a reply that does not match throws.';
  return `You are tasked with answering a query with associated context. You can access, transform, and analyze this context interactively in a JavaScript REPL environment that can recursively query sub-LLMs, which you are strongly encouraged to use as much as possible. You will be queried iteratively until you provide a final answer.

The context is far larger than what you should read directly. You see only its metadata; the text itself is in the REPL.

The REPL environment is initialized with:
1. A \`context\` variable that contains extremely important information about your query. Look through it before answering. (If you reassign \`context\`, the original stays in \`context_0\`.)
2. \`await llm_query(prompt, { model? })\`: asks a sub-LLM and returns its answer as a string; a call that fails throws, so catch it where one failure should not stop the block. Sub-LLMs are powerful: they can take around ${chars} characters per call, so give each call a large, well-chosen slice, not one line.
3. \`await llm_query_batched(prompts)\`: runs many prompts concurrently and returns the answers in the same order (a failed prompt gives a string starting with "Error:" in its slot). Calls also overlap with \`Promise.all\`.
4. ${recursion}
5. \`print(...)\` (or \`console.log\`) to see values; a cell that prints nothing shows its last expression's value. Output is truncated, so print only what you need to see and keep the rest in variables.
6. \`SHOW_VARS()\` lists your variables; \`budget()\` returns what this run has spent (calls, tokens, cost, time) and what is left.
7. \`FINAL(value)\` ends the task with \`value\` as the answer; \`FINAL_VAR("name")\` ends it with the value of your variable \`name\`.${toolList(options.tools, 'javascript')}

Write code in fenced blocks tagged \`repl\`:
\`\`\`repl
const head = context.slice(0, 10000);
print(head);
\`\`\`
Variables, functions and classes declared at the top level of a block persist across blocks. Top-level \`await\` works; await every call in the block that makes it, since calls still running when a block ends are cancelled. There is no file system, network, \`require\` or \`import\`, and no timers; each block has a time limit. ${BOUNDS}

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

/**
 * The Python system prompt: the paper's own (section 2 of PAPER.md), where the REPL is Python and
 * sub-calls block; `llm_query_batched` and `rlm_query_batched` run their prompts concurrently.
 */
export function pythonSystemPrompt(options: PromptOptions): string {
  const chars = thousands(options.subCallChars ?? 500_000);
  if (options.maxDepth === 0) {
    return (
      pythonSystemPrompt({ ...options, maxDepth: 1, canRecurse: false }) +
      '\n\nIn this run sub-calls are off: llm_query and rlm_query fail. Answer with the REPL alone: search, parse and compute over `context` in code.'
    );
  }
  const recursion =
    (options.canRecurse ?? options.maxDepth > 1)
      ? "`rlm_query(prompt, context=None, model=None, schema=None)` starts a child RLM with its own REPL (the given context becomes its `context`) for sub-tasks too large or intricate for one call; `rlm_query_batched(prompts, contexts=None)` runs several concurrently. Give `schema=` (a JSON Schema as a dict) to get data back: `r = rlm_query(prompt, part, schema={'type': 'object', 'properties': {'total': {'type': 'number'}}, 'required': ['total']})` returns the dict itself, checked against the schema; `rlm_query_batched(prompts, contexts, schema=...)` does the same for each prompt."
      : '`rlm_query(prompt, context=None, model=None, schema=None)` behaves like `llm_query` here (the child gets the prompt followed by the context); `rlm_query_batched(prompts, contexts=None)` runs several concurrently. With `schema=` (a JSON Schema as a dict), the sub-LLM is asked for JSON and you get the checked value itself; a reply that does not match raises an error.';
  return `You are tasked with answering a query with associated context. You can access, transform, and analyze this context interactively in a REPL environment that can recursively query sub-LLMs, which you are strongly encouraged to use as much as possible. You will be queried iteratively until you provide a final answer.

The context is far larger than what you should read directly. You see only its metadata; the text itself is in the REPL.

The REPL environment is initialized with:
1. A \`context\` variable that contains extremely important information about your query. You should check the content of the \`context\` variable to understand what you are working with. Make sure you look through it sufficiently as you answer your query. (If you reassign \`context\`, the original stays in \`context_0\`.)
2. A \`llm_query(prompt, model=None)\` function that allows you to query an LLM (that can handle around ${chars} chars) inside your REPL environment; it returns the answer as a string, and raises an exception if the call fails.
3. A \`llm_query_batched(prompts, model=None)\` function that runs a list of prompts concurrently and returns the answers in the same order (a failed prompt gives a string starting with "Error:" in its slot). It is much faster than calling \`llm_query\` in a loop.
4. ${recursion}
5. The ability to use \`print()\` statements to view the output of your REPL code and continue your reasoning; the value of a block's last expression is shown too, as in a notebook. Output is truncated, so print only what you need to see.
6. \`SHOW_VARS()\` lists your variables; \`budget()\` returns what this run has spent (calls, tokens, cost, time) and what is left.
7. \`FINAL(value)\` ends the task with \`value\` as the answer; \`FINAL_VAR("name")\` ends it with the value of your variable \`name\`.${toolList(options.tools, 'python')}

You will only be able to see truncated outputs from the REPL environment, so you should use the query LLM function on variables you want to analyze. You will find this function especially useful when you have to analyze the semantics of the context. Use these variables as buffers to build up your final answer.
Make sure to explicitly look through the entire context in REPL before answering your query. An example strategy is to first look at the context and figure out a chunking strategy, then break up the context into smart chunks, and query an LLM per chunk with a particular question and save the answers to a buffer, then query an LLM with all the buffers to produce your final answer.

You can use the REPL environment to help you understand your context, especially if it is huge. Remember that your sub LLMs are powerful: they can fit around ${chars} characters in their context window, so don't be afraid to put a lot of context into them. For example, a viable strategy is to feed 10 documents per sub-LLM query. Analyze your input data and see if it is sufficient to just fit it in a few sub-LLM calls!

When you want to execute Python code in the REPL environment, wrap it in triple backticks with the \`repl\` language identifier. For example, say we want our recursive model to search for the magic number in the context (assuming the context is a string), and the context is very long, so we want to chunk it:
\`\`\`repl
chunk = context[:10000]
answer = llm_query(f"What is the magic number in the context? Here is the chunk: {chunk}")
print(answer)
\`\`\`

As an example, suppose you're trying to answer a question about a book. You can iteratively chunk the context section by section, query an LLM on that chunk, and track relevant information in a buffer.
\`\`\`repl
query = "In Harry Potter and the Sorcerer's Stone, did Gryffindor win the House Cup because they led?"
buffer = ""
for i, section in enumerate(context):
    if i == len(context) - 1:
        buffer = llm_query(f"You are on the last section of the book. So far you know that: {buffer}. Gather from this last section to answer {query}. Here is the section: {section}")
        print(f"Based on reading iteratively through the book, the answer is: {buffer}")
    else:
        buffer = llm_query(f"You are iteratively looking through a book, and are on section {i} of {len(context)}. Gather information to help answer {query}. Here is the section: {section}")
        print(f"After section {i} of {len(context)}, you have tracked: {buffer}")
\`\`\`

As another example, when the context isn't that long (e.g. under 1M characters), a simple but viable strategy is, based on the context chunk lengths, to combine them and recursively query an LLM over chunks. For example, if the context is a list of strings, ask the same query over each chunk concurrently:
\`\`\`repl
query = "A man became famous for his book 'The Great Gatsby'. How many jobs did he have?"
chunk_size = len(context) // 10
chunks = [context[i * chunk_size:(i + 1) * chunk_size] for i in range(10)]
answers = llm_query_batched([f"Try to answer the following query: {query}. Here are the documents:\\n{chunk}. Only answer if you are confident in your answer based on the evidence." for chunk in chunks])
for i, answer in enumerate(answers):
    print(f"I got the answer from chunk {i}: {answer}")
final_answer = llm_query(f"Aggregating all the answers per chunk, answer the original query about total number of jobs: {query}\\n\\nAnswers:\\n" + "\\n".join(answers))
\`\`\`

As a final example, after analyzing the context and realizing it's separated by Markdown headers, we can maintain state through buffers by chunking the context by headers, and iteratively querying an LLM over it:
\`\`\`repl
import re
sections = re.split(r'### (.+)', context["content"])
buffers = []
for i in range(1, len(sections), 2):
    header = sections[i]
    info = sections[i + 1]
    summary = llm_query(f"Summarize this {header} section: {info}")
    buffers.append(f"{header}: {summary}")
final_answer = llm_query(f"Based on these summaries, answer the original query: {query}\\n\\nSummaries:\\n" + "\\n".join(buffers))
\`\`\`
In the next step, we can return FINAL_VAR("final_answer").

Variables, functions and imports persist across blocks. The standard library is there; there are no writable files (keep data in variables), no network, subprocess, threads or package installation (for concurrency use the batched functions), and each block has a time limit, which \`time.sleep\` counts against. \`FINAL(value)\` answers \`str(value)\`: pass \`json.dumps(value)\` if you want JSON. ${BOUNDS}

IMPORTANT: When you are done with the iterative process, you MUST provide a final answer from code, after you have seen the output that supports it:
\`\`\`repl
FINAL(answer)      # or FINAL_VAR("answer")
\`\`\`
FINAL ends the task only when called in code or written alone as the last line of a reply with no code block. A FINAL written next to a code block is ignored: you have not seen that code's output yet.

Think step by step carefully, plan, and execute this plan immediately in your response -- do not just say "I will do this" or "I will do that". Output to the REPL environment and recursive LLMs as much as possible. Remember to explicitly answer the original query in your final answer.${options.extra ? `\n\n${options.extra}` : ''}`;
}

/** What model code may hand the host, said once so that a refusal is never a surprise. */
const BOUNDS = `A sub-call's prompt may be up to ${thousands(MAX_PROMPT_CHARS)} characters and a final answer up to ${thousands(MAX_ANSWER_CHARS)}; longer ones are refused with an error.`;

/** The system prompt for the REPL's language. */
export function systemPrompt(language: ReplLanguage, options: PromptOptions): string {
  return language === 'python' ? pythonSystemPrompt(options) : javascriptSystemPrompt(options);
}

function toolList(tools: PromptOptions['tools'], language: ReplLanguage): string {
  if (!tools?.length) return '';
  const lines = tools.map((t) => `   - \`${t.name}\`: ${t.description}`);
  const how = language === 'python' ? 'functions: they block until done' : 'async functions: `await` them';
  return `\n8. Tools (${how}; arguments and results are JSON data):\n${lines.join('\n')}`;
}

/** Describes the context without showing it: type, size, per-item lengths and a short prefix. */
export function contextMetadata(context: ContextValue, prefixChars = 300): string {
  const lines: string[] = [];
  if (typeof context === 'string') {
    lines.push(`Your context is a string of ${thousands(context.length)} characters.`);
    lines.push(`It starts with:\n"""\n${context.slice(0, prefixChars)}\n"""`);
    return lines.join('\n');
  }
  if (Array.isArray(context)) {
    const lengths = context.map((item: unknown) => (typeof item === 'string' ? item.length : (JSON.stringify(item)?.length ?? 0)));
    const total = lengths.reduce((a, b) => a + b, 0);
    const kind = context.every((item: unknown) => typeof item === 'string') ? 'strings' : 'items';
    lines.push(`Your context is a list of ${thousands(context.length)} ${kind}, ${thousands(total)} characters in total.`);
    const shown = lengths.slice(0, 100).map((n, i) => `${i}: ${thousands(n)}`);
    const more = context.length > 100 ? `, ... and ${thousands(context.length - 100)} more` : '';
    lines.push(`Lengths of its items (characters): ${shown.join(', ')}${more}.`);
    const first: unknown = context[0];
    if (first !== undefined) {
      const text = typeof first === 'string' ? first : JSON.stringify(first);
      lines.push(`context[0] starts with:\n"""\n${text.slice(0, prefixChars)}\n"""`);
    }
    return lines.join('\n');
  }
  const json = JSON.stringify(context) ?? String(context);
  lines.push(`Your context is a ${context === null ? 'null' : typeof context} value; as JSON it has ${thousands(json.length)} characters.`);
  lines.push(`As JSON it starts with:\n"""\n${json.slice(0, prefixChars)}\n"""`);
  return lines.join('\n');
}

export function firstTurnMessage(metadata: string, query: string): string {
  return `${metadata}

Query: ${query}

You have not looked at the context yet. Do not answer yet: first explore \`context\` in a \`repl\` block (its structure, a sample), then work toward the answer step by step.`;
}

/** A context added to a session: its name (`context_1`...) and what it is; `context` now names it. */
export function addedContextMessage(name: string, metadata: string): string {
  return `A new context was added to the REPL as \`${name}\` (\`context\` now names it too; earlier ones keep their names, \`context_0\` is the first):\n${metadata.replace(/^Your context is/, 'It is')}`;
}

/**
 * A later question of a session: the REPL and every variable are still there, the last answer
 * was taken, and what is new.
 */
export function followUpMessage(query: string, lastAnswer: string | undefined, added: readonly string[]): string {
  const answered =
    lastAnswer === undefined
      ? 'The last question ended without an answer.'
      : `Your answer to the last question was taken: "${lastAnswer.length > 500 ? `${lastAnswer.slice(0, 500)}...` : lastAnswer}"`;
  return [
    answered,
    ...added,
    `New question: ${query}`,
    'Your REPL variables from earlier questions are all still there (SHOW_VARS() lists them): reuse what you computed. Work in a `repl` block as before and end with FINAL(...).',
  ].join('\n\n');
}

export interface CellReport {
  output: string;
  error?: string;
  restarted: boolean;
  final?: string;
}

/**
 * The next user message: each block's (truncated) output, in order. Each block's output is cut
 * already; `maxChars` bounds them all together, so a reply of a thousand blocks cannot make one
 * message a thousand outputs long (past it, a block's output is replaced by a note).
 */
export function outputsMessage(
  reports: CellReport[],
  query: string,
  iteration: number,
  maxIterations: number,
  ignoredFinal: boolean,
  maxChars: number,
): string {
  let room = maxChars;
  const parts = reports.map((r, i) => {
    const head = reports.length > 1 ? `Output of block ${i + 1} of ${reports.length}:` : 'Output:';
    const body = r.output.length > 0 ? r.output.replace(/\n$/, '') : '(no output)';
    const error = r.error ? `\n${r.error}` : '';
    const restart = r.restarted
      ? '\nThe REPL had to be restarted: all your variables are gone; `context` and the REPL functions are there again.'
      : '';
    const shown = body.length + error.length;
    if (shown > room) {
      room = 0;
      return `${head}\n(not shown: the outputs of this reply passed ${thousands(maxChars)} characters; print less in each block)${restart}`;
    }
    room -= shown;
    return `${head}\n${body}${error}${restart}`;
  });
  if (ignoredFinal) {
    parts.push(
      'Your reply had FINAL next to a code block, so it was not taken as the answer: you had not seen the output yet. Check the output above, then call FINAL(...) or FINAL_VAR("name") from code.',
    );
  }
  const left = maxIterations - iteration;
  parts.push(`${left} iteration${left === 1 ? '' : 's'} left. Continue with the REPL to answer the query: ${query}`);
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
  return `The conversation was compacted: your summary above replaces it. Your REPL variables are all still there, and the full conversation is in the REPL as \`history\` (a list of messages, each with role and content). ${maxIterations - iteration} iterations left. Continue.`;
}

export function limitReachedMessage(reason: string): string {
  return `The run has reached a limit (${reason}) and was stopped: no more code will run and no more calls can be made. From what you have found so far, give your best final answer now, as FINAL(your answer) or FINAL_VAR(variable_name) on the last line of your reply.`;
}

export function forceFinalMessage(iterations: number): string {
  return `You have used all ${iterations} iterations. No more code will run. From what you have found, give your best final answer now, as FINAL(your answer) or FINAL_VAR(variable_name) on the last line of your reply.`;
}
