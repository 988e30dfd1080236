/**
 * Scripted stand-ins for a competent model on the benchmark tasks (no language model is
 * reachable from the test machines): the root writes the code such a model would write for each
 * task family; the sub-model answers narrow sub-questions by rule; the direct model answers from
 * whatever part of the context its prompt holds.
 */
import { DIRECT_PROMPT_START } from '../../src/benchmark/direct.ts';
import { RETRIEVAL_PROMPT_START } from '../../src/benchmark/retrieval.ts';
import { SUMMARY_ANSWER_START, SUMMARY_PART_START } from '../../src/benchmark/summary.ts';
import type { ScriptedReply, ScriptedRequest } from 'rlm/testing';
import { labelOf } from '../tasks/label-rules.ts';
import { factsOf, questionPlan, type Plan } from '../tasks/browsecomp-rules.ts';
import { definitionsIn, sectionsOf } from '../tasks/code-rules.ts';
import { browseCompRootCode, browseCompSubAnswer } from './scripted-browsecomp.ts';
import { codeQaRootCode, codeQaSubAnswer, isCodeQaQuestion } from './scripted-codeqa.ts';

/**
 * One base model and one sub-model behind one server, as in the paper: asked directly (the
 * context, passages or notes in the prompt) the base model answers from what it sees; as an
 * RLM's root it writes code; the sub-model labels records, or takes notes for `summary`.
 */
export function benchModel(request: ScriptedRequest): ScriptedReply {
  const prompt = request.lastUser;
  if (prompt.startsWith(SUMMARY_PART_START)) return noteTaker(request);
  if (request.model === 'sub') return browseCompSubAnswer(prompt) ?? codeQaSubAnswer(prompt) ?? subModel(request);
  if ([DIRECT_PROMPT_START, RETRIEVAL_PROMPT_START, SUMMARY_ANSWER_START].some((start) => prompt.startsWith(start)))
    return directModel(request);
  return rootModel(request);
}

/**
 * A CodeQA question asked directly: where a function is defined, answered from the files shown
 * (an option whose file is shown defining it); anything else, or a file not shown, a guess of A.
 */
function codeQaGuess(prompt: string): string {
  const query = prompt.slice(prompt.lastIndexOf('Query: '));
  const name = /In which file is the function `(\w+)` defined\?/.exec(query)?.[1];
  const files = sectionsOf(prompt.slice(0, prompt.lastIndexOf('Query: ')));
  for (const [, letter, path] of query.matchAll(/^\(([A-D])\) (.+)$/gm)) {
    if (name && definitionsIn(files.get(path!) ?? '', name).length > 0) return letter!;
  }
  return 'A';
}

/**
 * Notes for a BrowseComp question: the documents about the entities of its chain met so far —
 * the start, and every name a kept document gives for one of the chain's relations. A document
 * read before its entity was known to matter is not kept: what a reader in one pass misses.
 */
function browseCompNotes(plan: Plan, notes: string, part: string): string {
  const kept = documentsIn(notes);
  const known = new Set([plan.start]);
  const learn = () => {
    for (const text of kept.values())
      for (const step of plan.steps) for (const fact of factsOf(text).get(step) ?? []) known.add(fact.value);
  };
  learn();
  for (const [title, text] of documentsIn(part)) {
    if (!known.has(title)) continue;
    kept.set(title, text);
    learn();
  }
  return [...kept].map(([title, text], i) => `Document ${i + 1}: ${title}\n${text}`).join('\n\n');
}

/** The documents a prompt shows, by title (whole ones only: a passage may cut one). */
function documentsIn(prompt: string): Map<string, string> {
  const documents = new Map<string, string>();
  for (const match of prompt.matchAll(/^Document \d+: (.+)\n([^\n]+(?:\n(?!\n|Document \d+: |\[Passage )[^\n]+)*)/gm))
    documents.set(match[1]!, match[2]!);
  return documents;
}

/** A BrowseComp question's chain followed through the documents at hand, as far as they go. */
function followChain(plan: Plan, documents: Map<string, string>): string | undefined {
  let name = plan.start;
  for (const step of plan.steps) {
    const facts = factsOf(documents.get(name) ?? '').get(step) ?? [];
    if (facts.length !== 1) return undefined;
    name = facts[0]!.value;
  }
  return name;
}

/**
 * The note-taker of `summary`: carries the notes so far, adds the part's lines that name the
 * needle's key, and keeps a running count of each label over the records read.
 */
export function noteTaker(request: ScriptedRequest): ScriptedReply {
  const prompt = request.lastUser;
  const notes = /\nNotes so far[^\n]*:\n([\s\S]*?)\n\nPart \d+ of \d+:\n/.exec(prompt)![1]!;
  const part = prompt.slice(prompt.search(/\nPart \d+ of \d+:\n/)).split('\n\nWrite the updated notes')[0]!;
  const kept = notes === '(none yet)' ? [] : notes.split('\n').filter((line) => !line.startsWith('Count of '));
  const plan = questionPlan(prompt.slice(prompt.indexOf('Query: ')).split('\n\nNotes so far')[0]!.split('\n\n').at(-1)!);
  if (plan) return browseCompNotes(plan, notes === '(none yet)' ? '' : notes, part);
  const key = /special magic \w+ for ([\w-]+)/.exec(prompt)?.[1];
  if (key) kept.push(...part.split('\n').filter((line) => line.includes(`for ${key} is: `)));
  const counts = new Map<string, number>();
  for (const [, label, count] of notes.matchAll(/^Count of (\w+): (\d+)$/gm)) counts.set(label!, Number(count));
  for (const line of part.split('\n')) {
    if (!line.includes(' || Instance: ')) continue;
    const label = labelOrGuess(line.split(' || Instance: ')[1]!);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...kept, ...[...counts].map(([label, count]) => `Count of ${label}: ${count}`)].join('\n');
}

/** A label for every line: a sub-model always answers. */
function labelOrGuess(instance: string): string {
  return labelOf(instance) ?? 'description';
}

/** The sub-model: labels every record line of its prompt, in order, as a JSON array. */
export function subModel(request: ScriptedRequest): ScriptedReply {
  const labels = request.lastUser
    .split('\n')
    .filter((line) => line.includes(' || Instance: '))
    .map((line) => labelOrGuess(line.split(' || Instance: ')[1]!));
  return JSON.stringify(labels);
}

/** The question part of a task query (after the label description). */
function questionOf(request: ScriptedRequest): string {
  const first = request.messages.find((m) => m.role === 'user')!.content;
  const query = first.slice(first.indexOf('Query: ') + 'Query: '.length).split('\n\nYou have not looked')[0]!;
  return query.split('\n\n').at(-1)!.trim();
}

const OOLONG_CODE = (question: string) => `const question = ${JSON.stringify(question)};
const lines = context.split('\\n');
const chunks = [];
for (let i = 0; i < lines.length; i += 2000) chunks.push(lines.slice(i, i + 2000));
const answers = await llm_query_batched(chunks.map((c) => 'Label each line with its TREC coarse label; reply with a JSON array, one label a line, in order.\\n' + c.join('\\n')));
const rows = [];
chunks.forEach((chunk, i) => {
  const labels = JSON.parse(answers[i]);
  chunk.forEach((line, j) => {
    const [, date, user] = /^Date: (.+?) \\|\\| User: (\\d+) \\|\\|/.exec(line);
    const d = new Date(date + ' UTC');
    rows.push({ user, time: d.getTime(), month: d.toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' }), label: labels[j] });
  });
});
const count = (f) => rows.filter(f).length;
const labelNames = ['abbreviation', 'entity', 'description', 'human', 'location', 'numeric'];
let answer, m;
if ((m = /^How many data points should be labelled '(\\w+)'/.exec(question))) answer = count((r) => r.label === m[1]);
else if ((m = /^How many data points by user (\\d+) should be labelled '(\\w+)'/.exec(question))) answer = count((r) => r.user === m[1] && r.label === m[2]);
else if ((m = /^How many data points dated in (\\w+ \\d+) should be labelled '(\\w+)'/.exec(question))) answer = count((r) => r.month === m[1] && r.label === m[2]);
else if ((m = /^Which label is the (most|least) common/.exec(question))) {
  const sorted = labelNames.map((l) => [l, count((r) => r.label === l)]).sort((a, b) => b[1] - a[1]);
  answer = m[1] === 'most' ? sorted[0][0] : sorted.at(-1)[0];
} else if ((m = /^Is the label '(\\w+)' more common than, less common than, or the same frequency as the label '(\\w+)'/.exec(question))) {
  const [a, b] = [count((r) => r.label === m[1]), count((r) => r.label === m[2])];
  answer = a > b ? 'more common than' : a < b ? 'less common than' : 'same frequency as';
} else if ((m = /^List every pair of user ids where (.+)\\. Write each pair/.exec(question))) {
  // Per-user counts, then the condition on every pair of users.
  const users = [...new Set(rows.map((r) => Number(r.user)))].sort((x, y) => x - y);
  const tallies = new Map();
  const has = (user, k, label, after) => {
    const key = label + '@' + after;
    if (!tallies.has(key)) {
      const tally = new Map();
      for (const r of rows) if (r.label === label && (after === undefined || r.time > after)) tally.set(Number(r.user), (tally.get(Number(r.user)) ?? 0) + 1);
      tallies.set(key, tally);
    }
    return (tallies.get(key).get(user) ?? 0) >= k;
  };
  const cond = m[1];
  let meets, c;
  if ((c = /^both users have at least (\\d+) data points? labelled '(\\w+)' dated after (.+)$/.exec(cond))) {
    const after = new Date(c[3] + ' UTC').getTime();
    meets = (u, v) => has(u, +c[1], c[2], after) && has(v, +c[1], c[2], after);
  } else if ((c = /^both users have at least (\\d+) data points? labelled '(\\w+)'$/.exec(cond))) meets = (u, v) => has(u, +c[1], c[2]) && has(v, +c[1], c[2]);
  else if ((c = /^one user has at least (\\d+) data points? labelled '(\\w+)' and the other at least (\\d+) data points? labelled '(\\w+)'$/.exec(cond)))
    meets = (u, v) => (has(u, +c[1], c[2]) && has(v, +c[3], c[4])) || (has(u, +c[3], c[4]) && has(v, +c[1], c[2]));
  const pairs = [];
  for (let i = 0; i < users.length; i++) for (let j = i + 1; j < users.length; j++) if (meets(users[i], users[j])) pairs.push('(' + users[i] + ', ' + users[j] + ')');
  answer = pairs.join('\\n');
}
print(rows.length, 'rows labelled;', 'answer:', answer);`;

/** The root model: looks first, then writes the code for the task in front of it, then answers. */
export function rootModel(request: ScriptedRequest): ScriptedReply {
  const turn = request.messages.filter((m) => m.role === 'assistant').length;
  const question = questionOf(request);
  if (turn === 0) return 'First, a look.\n```repl\nprint(context.length);\nprint(context.slice(0, 400));\n```';
  if (turn === 1) {
    const needle = /special magic (\w+) for ([\w-]+)/.exec(question);
    if (needle) {
      return `\`\`\`repl
const key = ${JSON.stringify(needle[2])};
const hit = context.split('\\n').find((line) => line.includes('for ' + key + ' is: '));
const answer = hit.split(' is: ')[1].replace(/\\.$/, '');
print(answer);
\`\`\``;
    }
    if (isCodeQaQuestion(question)) return `\`\`\`repl\n${codeQaRootCode(question)}\n\`\`\``;
    if (questionPlan(question)) return `\`\`\`repl\n${browseCompRootCode(question)}\n\`\`\``;
    return `\`\`\`repl\n${OOLONG_CODE(question)}\n\`\`\``;
  }
  return '```repl\nFINAL(String(answer));\n```';
}

/** The base model asked directly: answers from what its prompt shows, by the same rules. */
export function directModel(request: ScriptedRequest): ScriptedReply {
  const prompt = request.lastUser;
  const needle = /Query: What is the special magic \w+ for ([\w-]+)/.exec(prompt);
  if (needle) {
    const hit = new RegExp(`for ${needle[1]} is: ([^\\n]+)\\.`).exec(prompt);
    return hit ? hit[1]! : 'I could not find it in the text shown.';
  }
  const question = prompt.split('\n\n').at(-1)!;
  if (isCodeQaQuestion(prompt.slice(prompt.lastIndexOf('Query: ')))) return codeQaGuess(prompt);
  const plan = questionPlan(question);
  if (plan) return followChain(plan, documentsIn(prompt)) ?? 'The documents shown do not say.';
  const counted = /labelled '(\w+)'/.exec(question);
  // From notes: the running count the note-taker kept.
  const noted = counted && new RegExp(`^Count of ${counted[1]}: (\\d+)$`, 'm').exec(prompt);
  if (noted && !/ by user | dated in /.test(question)) return noted[1]!;
  const rows = prompt
    .split('\n')
    .filter((line) => line.startsWith('Date: '))
    .map((line) => labelOrGuess(line.split(' || Instance: ')[1] ?? ''));
  // What a model that saw only the shown records would say: their count.
  return counted ? String(rows.filter((label) => label === counted[1]).length) : 'description';
}
