/**
 * The demo's scripted model. Its root replies are pre-written code, what a capable model would
 * write for the query; its sub-call answers follow simple rules over the text they are given.
 * Nothing here is a language model: the demo says so before it runs.
 */
import type { Script, ScriptedRequest } from '../testing/scripted-server.ts';

export const DEMO_QUERY =
  'Who first sighted the lighthouse at Cape Sorrow, on which day, and how many storms were logged on the whole voyage?';
export const DEMO_ROOT_MODEL = 'scripted-root';
export const DEMO_SUB_MODEL = 'scripted-sub';

const ROOT_TURNS = [
  `Let me look at the context first.
\`\`\`repl
print(context.length.toLocaleString(), 'characters');
print(context.slice(0, 700));
\`\`\``,
  `It is a logbook with one entry per day. I will split it into entries and narrow down with a regex.
\`\`\`repl
const entries = context.split(/\\n\\n(?=Day \\d+ —)/);
const mentions = entries.filter((e) => /lighthouse/i.test(e));
print(entries.length, 'entries;', mentions.length, 'mention a lighthouse:');
print(mentions.map((e) => e.split('\\n')[0]).join('\\n'));
\`\`\``,
  `Several entries mention a lighthouse; only a sub-call can tell a real sighting from the rest. At the same time I will count storms chunk by chunk, all calls running concurrently.
\`\`\`repl
const checks = llm_query_batched(mentions.map((e) =>
  'Does this log entry record a crew member actually sighting the lighthouse at Cape Sorrow? ' +
  'If so, answer exactly "<name>, day <number>"; otherwise answer NO.\\n\\n' + e));
const size = Math.ceil(entries.length / 8);
const parts = Array.from({ length: 8 }, (_, i) => entries.slice(i * size, (i + 1) * size).join('\\n\\n'));
const counts = Promise.all(parts.map((p) => llm_query('How many storms are logged in this part of the logbook? Answer with a number only.\\n\\n' + p)));
const [verdicts, stormCounts] = await Promise.all([checks, counts]);
const sighting = verdicts.find((v) => v !== 'NO');
const storms = stormCounts.reduce((sum, n) => sum + Number(n), 0);
print({ verdicts, stormCounts, sighting, storms });
\`\`\``,
  `The sub-calls agree on one sighting, and the storm counts add up.
\`\`\`repl
const answer = \`\${sighting}; \${storms} storms were logged on the voyage.\`;
FINAL_VAR("answer");
\`\`\``,
];

/** The same plan in Python, as the paper's models write it: blocking calls, batched for concurrency. */
const PYTHON_ROOT_TURNS = [
  `Let me look at the context first.
\`\`\`repl
print(f"{len(context):,} characters")
print(context[:700])
\`\`\``,
  `It is a logbook with one entry per day. I will split it into entries and narrow down with a regex.
\`\`\`repl
import re
entries = re.split(r'\\n\\n(?=Day \\d+ —)', context)
mentions = [e for e in entries if re.search('lighthouse', e, re.I)]
print(len(entries), 'entries;', len(mentions), 'mention a lighthouse:')
print('\\n'.join(e.split('\\n')[0] for e in mentions))
\`\`\``,
  `Several entries mention a lighthouse; only a sub-call can tell a real sighting from the rest. I will ask about every mention and count storms over eight parts, all in one concurrent batch.
\`\`\`repl
checks = ['Does this log entry record a crew member actually sighting the lighthouse at Cape Sorrow? '
          'If so, answer exactly "<name>, day <number>"; otherwise answer NO.\\n\\n' + e for e in mentions]
size = -(-len(entries) // 8)
parts = ['\\n\\n'.join(entries[i * size:(i + 1) * size]) for i in range(8)]
counts = ['How many storms are logged in this part of the logbook? Answer with a number only.\\n\\n' + p for p in parts]
answers = llm_query_batched(checks + counts)
verdicts, storm_counts = answers[:len(checks)], answers[len(checks):]
sighting = next(v for v in verdicts if v != 'NO')
storms = sum(int(n) for n in storm_counts)
print({'verdicts': verdicts, 'storm_counts': storm_counts, 'sighting': sighting, 'storms': storms})
\`\`\``,
  `The sub-calls agree on one sighting, and the storm counts add up.
\`\`\`repl
answer = f"{sighting}; {storms} storms were logged on the voyage."
FINAL_VAR("answer")
\`\`\``,
];

/** The demo's model for a JavaScript REPL. */
export function demoScript(request: ScriptedRequest): string {
  return scriptFor(ROOT_TURNS, request);
}

/** The demo's model for a Python REPL. */
export function pythonDemoScript(request: ScriptedRequest): string {
  return scriptFor(PYTHON_ROOT_TURNS, request);
}

function scriptFor(turns: string[], request: ScriptedRequest): string {
  if (request.model === DEMO_ROOT_MODEL) {
    const turn = request.messages.filter((m) => m.role === 'assistant').length;
    return turns[Math.min(turn, turns.length - 1)]!;
  }
  return answerSubQuestion(request.lastUser);
}

/** Rule-based answers to the two sub-questions the root asks. */
function answerSubQuestion(prompt: string): string {
  if (prompt.startsWith('Does this log entry')) {
    const day = /Day (\d+) —/.exec(prompt)?.[1];
    const seen = /([A-Z][a-z]+ [A-Z][a-z]+), aloft, sighted the lighthouse at Cape Sorrow/.exec(prompt);
    return seen && day ? `${seen[1]}, day ${day}` : 'NO';
  }
  if (prompt.startsWith('How many storms')) return String(prompt.match(/^Storm:/gm)?.length ?? 0);
  return 'I can only answer the demo questions.';
}

export const demoServerScript: Script = demoScript;
