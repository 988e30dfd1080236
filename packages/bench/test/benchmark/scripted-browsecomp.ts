/**
 * A scripted stand-in for a competent model on the BrowseComp-style task: the root reads the
 * question, works out the chain of relations it asks for, and writes REPL code that finds each
 * hop's document by searching the context and asks a sub-model for the one fact it needs; the
 * sub-model answers such narrow questions from the document in its prompt, by rule.
 */
import { factsOf, questionPlan, type Relation } from '../tasks/browsecomp-rules.ts';

const PREAMBLE = 'Read the document below and answer from it alone.';

/** The sub-question for each relation, as the root's code words it; the sub-model reads it back. */
const SUB_QUESTIONS: Record<Relation, [ask: string, read: RegExp]> = {
  organiser: ['`Which organisation organised the ${name}? A sponsor is not the organiser.`', /^Which organisation organised /],
  venue: ['`In which city was the ${name} held?`', /^In which city was the .+ held\?/],
  founder: ['`Who founded ${name}? Its chief executive may be someone else.`', /^Who founded /],
  'founded-year': ['`In which year was ${name} founded?`', /^In which year was .+ founded\?/],
  hq: ['`In which city is ${name} headquartered now (not where it used to be)?`', /^In which city is .+ headquartered now/],
  born: ['`In which city was ${name} born (not where they live now)?`', /^In which city was .+ born/],
  employer: ['`Which organisation does ${name} work for now (not formerly)?`', /^Which organisation does .+ work for now/],
  country: ['`In which country is the city of ${name}?`', /^In which country is the city of /],
};

/**
 * The code a competent root model writes for the question: the chain it asks for, then per hop:
 * find the document titled with the current name (counting the other documents that mention it,
 * which are passing mentions or confusable names), ask the sub-model for the one fact, move on.
 * The answer is left in a top-level `answer` for the next turn's `FINAL(String(answer))`.
 */
export function browseCompRootCode(question: string): string {
  const plan = questionPlan(question);
  if (!plan) throw new Error(`not a BrowseComp-style question: ${question}`);
  const asks = plan.steps.map((step) => `  ${JSON.stringify(step)}: (name) => ${SUB_QUESTIONS[step][0]},`);
  return `// The chain: start from ${JSON.stringify(plan.start)}, then ${plan.steps.join(' -> ')}.
const docs = context.split('\\n\\n');
const titleOf = (doc) => doc.slice(doc.indexOf(': ') + 2, doc.indexOf('\\n'));
print(docs.length, 'documents');
function findDocument(name) {
  const titled = docs.filter((doc) => titleOf(doc) === name);
  const mentions = docs.filter((doc) => doc.includes(name));
  print(JSON.stringify(name) + ': ' + titled.length + ' titled so; mentioned in ' + mentions.map(titleOf).slice(0, 6).join(' | '));
  return titled[0] ?? mentions[0];
}
const questions = {
${asks.join('\n')}
};
let name = ${JSON.stringify(plan.start)};
for (const step of ${JSON.stringify(plan.steps)}) {
  const doc = findDocument(name);
  const reply = await llm_query(${JSON.stringify(PREAMBLE)} + '\\n\\n' + doc + '\\n\\nQuestion: ' + questions[step](name) + ' Reply with the answer only.');
  print(step + ': ' + name + ' -> ' + reply);
  name = reply.trim().replace(/\\.$/, '');
}
const answer = name;
print('answer:', answer);`;
}

/**
 * The sub-model: answers one of the root's sub-questions from the document in the prompt, by the
 * reading rules; undefined for any other prompt.
 */
export function browseCompSubAnswer(prompt: string): string | undefined {
  const match = new RegExp(`^${PREAMBLE.replace(/\./g, '\\.')}\\n\\n([\\s\\S]*)\\n\\nQuestion: (.+)$`).exec(prompt);
  if (!match) return undefined;
  const [, doc, question] = match;
  const relation = (Object.keys(SUB_QUESTIONS) as Relation[]).find((r) => SUB_QUESTIONS[r][1].test(question!));
  if (!relation) return undefined;
  const body = doc!.slice(doc!.indexOf('\n') + 1);
  const facts = factsOf(body).get(relation) ?? [];
  return facts.length === 1 ? facts[0]!.value : 'The document does not say.';
}
