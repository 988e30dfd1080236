/**
 * `rlm view`: one self-contained HTML page for a trace — no CDN, no server, works from file://.
 * The tree (runs, turns, cells, sub-calls, children) is built here (view-model.ts) and embedded
 * as JSON; the page renders a node's contents only when it is opened, and draws the timeline on
 * a canvas, so it stays responsive with tens of thousands of sub-calls.
 *
 * The same page serves a run as it happens (`rlm serve`'s `/runs/:id`): its script is a
 * `rlmViewer.render(model)` that can be called again with a newer model, keeping open what the
 * reader opened. The pieces (style, markup, script) are exported for that page.
 */
import { buildViewModel, type ViewModel } from './view-model.ts';
import type { Trace } from './replay.ts';

export function renderViewer(trace: Pick<Trace, 'events'>, title = 'rlm trace'): string {
  const model = buildViewModel(trace);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${VIEWER_STYLE}</style></head>
<body>
${viewerMarkup(title)}
<script id="trace-data" type="application/json">${embedJson(model)}</script>
<script>${VIEWER_SCRIPT}
rlmViewer.render(JSON.parse(document.getElementById('trace-data').textContent));</script>
</body></html>
`;
}

export type { ViewModel };

/** The viewer's elements: summary, search, timeline, tree. */
export function viewerMarkup(title: string): string {
  return `<header><h1>${escapeHtml(title)}</h1><div id="summary"></div>
<input id="search" type="search" placeholder="Search prompts, replies, code and outputs" autocomplete="off"><div id="results"></div></header>
<section><h2>Timeline</h2><canvas id="timeline" height="160"></canvas><div id="legend"></div></section>
<section><h2>Tree</h2><div id="tree"></div></section>`;
}

/** JSON to put inside a `<script type="application/json">`: `</` would end the element early. */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/<\//g, '<\\/')
    .replace(/\u2028|\u2029/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const VIEWER_STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header, section { padding: 12px 20px; }
header { background: #fff; border-bottom: 1px solid #dde1e7; position: sticky; top: 0; z-index: 2; }
h1 { font-size: 18px; margin: 0 0 6px; } h2 { font-size: 15px; margin: 4px 0 8px; }
#summary { display: flex; flex-wrap: wrap; gap: 6px 18px; margin-bottom: 8px; }
#summary b { font-weight: 600; }
#search { width: 100%; max-width: 640px; padding: 6px 8px; font: inherit; border: 1px solid #c5cbd4; border-radius: 6px; }
#results { max-height: 240px; overflow: auto; margin-top: 6px; }
#results .hit { cursor: pointer; padding: 2px 4px; border-radius: 4px; } #results .hit:hover { background: #eef2ff; }
canvas { width: 100%; background: #fff; border: 1px solid #dde1e7; border-radius: 6px; }
details { margin: 3px 0 3px 14px; } summary { cursor: pointer; }
.node { background: #fff; border: 1px solid #e3e6eb; border-radius: 6px; padding: 2px 8px; }
.meta { color: #5d6675; font-size: 12px; margin-left: 8px; }
.err { color: #b42318; font-weight: 600; } .limit { background: #fef3f2; border: 1px solid #fda29b; border-radius: 6px; padding: 4px 8px; }
pre { background: #0f172a; color: #e2e8f0; padding: 8px; border-radius: 6px; overflow: auto; white-space: pre-wrap; word-break: break-word; margin: 4px 0; }
pre.out { background: #f1f3f6; color: #1d2330; }
.k { color: #c792ea; } .s { color: #c3e88d; } .c { color: #7f8ca3; } .n { color: #f78c6c; }
mark { background: #fde68a; } button.more { margin: 4px 0; }
.tool { font-family: ui-monospace, monospace; font-size: 12px; margin: 2px 0; }
`;

/**
 * The page's code: plain browser JavaScript. It defines `rlmViewer.render(model, options)`, which
 * draws a view model and may be called again with a newer one (a live run): the nodes the reader
 * opened stay open and the search is run again. `options.pending` names the state of a run with no
 * status yet (default 'unfinished').
 */
export const VIEWER_SCRIPT = String.raw`
const rlmViewer = (() => {
  let model = { summary: { query: '', contextChars: 0, totals: { calls: 0, tokens: 0, costUsd: 0, unpriced: 0, callMs: 0 } }, runs: {}, calls: {} };
  const $ = (tag, attrs = {}, ...kids) => { const el = document.createElement(tag); for (const [k, v] of Object.entries(attrs)) { if (k === 'text') el.textContent = v; else el.setAttribute(k, v); } for (const kid of kids) if (kid) el.append(kid); return el; };
  const fmt = (n) => n >= 1e6 ? (n / 1e6).toFixed(2) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(n);
  const money = (n) => n === undefined || n === null ? 'cost unknown' : '$' + n.toFixed(n < 0.01 ? 5 : 4);
  // A total with calls of unknown price says so rather than passing for a small cost.
  const spent = (t) => t.unpriced === 0 ? money(t.costUsd) : t.unpriced === t.calls ? 'cost unknown' : money(t.costUsd) + ' + ' + t.unpriced + ' unpriced';
  const secs = (ms) => (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  const totals = (t) => t.calls + ' calls · ' + fmt(t.tokens) + ' tokens · ' + spent(t) + ' · ' + secs(t.callMs) + ' in calls';
  const FOLD = 2000;

  // Summary
  const summary = document.getElementById('summary');
  const item = (label, value, id) => { const el = $('span', id ? { id } : {}); el.append($('b', { text: label + ': ' }), value); summary.append(el); };
  const renderSummary = (pending) => {
    const s = model.summary;
    summary.textContent = '';
    item('Query', s.query);
    item('Status', s.status || pending, 'status');
    item('Answer', s.answer === undefined ? '(none)' : s.answer.length > 200 ? s.answer.slice(0, 200) + '…' : s.answer, 'answer');
    item('Tokens', fmt(s.totals.tokens), 'total-tokens');
    item('Calls', String(s.totals.calls), 'total-calls');
    item('Cost', spent(s.totals), 'total-cost');
    if (s.durationMs !== undefined) item('Time', secs(s.durationMs), 'total-time');
    if (s.limit) summary.append($('span', { class: 'limit', text: 'Limit reached: ' + s.limit }));
    document.getElementById('total-tokens').dataset.value = String(s.totals.tokens);
  };

  // Code highlighting: comments, strings, numbers, keywords.
  const KEYWORDS = /^(const|let|var|function|return|await|async|for|of|in|if|else|while|new|class|try|catch|throw|true|false|null|undefined|import|from|def|print|and|or|not|None|True|False|lambda|with|as)$/;
  const highlight = (code) => {
    const pre = $('pre');
    const re = /(\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/)|('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|\x60(?:\\.|[^\x60\\])*\x60)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_$][\w$]*)/g;
    let last = 0;
    for (const m of code.matchAll(re)) {
      pre.append(code.slice(last, m.index));
      const cls = m[1] ? 'c' : m[2] ? 's' : m[3] ? 'n' : KEYWORDS.test(m[4]) ? 'k' : '';
      pre.append(cls ? $('span', { class: cls, text: m[0] }) : m[0]);
      last = m.index + m[0].length;
    }
    pre.append(code.slice(last));
    return pre;
  };
  // A reply: prose as text, fenced code highlighted.
  const reply = (text) => {
    const box = $('div');
    const parts = text.split(/\x60\x60\x60[\w-]*\n([\s\S]*?)\x60\x60\x60/g);
    parts.forEach((part, i) => box.append(i % 2 ? highlight(part) : $('div', { text: part.trim() })));
    return box;
  };
  const folded = (text, cls) => {
    const pre = $('pre', { class: cls, text: text.length > FOLD ? text.slice(0, FOLD) : text });
    if (text.length <= FOLD) return pre;
    const box = $('div', {}, pre);
    const more = $('button', { class: 'more', text: 'Show all ' + text.length.toLocaleString() + ' characters' });
    more.onclick = () => { pre.textContent = text; more.remove(); };
    box.append(more);
    return box;
  };
  // A <details> whose body is built the first time it opens.
  const lazy = (label, meta, build, attrs = {}) => {
    const d = $('details', { class: 'node', ...attrs });
    d.append($('summary', {}, label, meta ? $('span', { class: 'meta', text: meta }) : null));
    let built = false;
    d.addEventListener('toggle', () => { if (d.open && !built) { built = true; build(d); } });
    return d;
  };
  const callNode = (id) => {
    const c = model.calls[id];
    const label = $('span', { text: (c.kind === 'sub' ? 'sub-call ' : 'call ') + '#' + c.callId + ' → ' + c.model }, c.error ? $('span', { class: 'err', text: ' error' }) : c.unfinished ? $('span', { class: 'meta', text: ' unfinished' }) : null);
    return lazy(label, fmt(c.tokens) + ' tokens · ' + money(c.costUsd) + ' · ' + secs(c.durationMs), (d) => {
      d.append($('div', { text: 'Prompt (' + c.messages.length + ' new message' + (c.messages.length === 1 ? '' : 's') + '):' }));
      for (const m of c.messages) d.append($('div', { class: 'meta', text: m.role }), folded(m.content, 'out'));
      if (c.text !== undefined) d.append($('div', { text: 'Reply:' }), folded(c.text, 'out'));
      if (c.error) d.append($('div', { class: 'err', text: c.error }));
    }, { 'data-call': String(c.callId) });
  };
  // A tool call on one line: name(arguments) → result (or the error); a long result folded below it.
  const toolLine = (tc) => {
    const args = JSON.stringify(tc.args).slice(1, -1);
    const call = tc.name + '(' + (args.length > 200 ? args.slice(0, 200) + '…' : args) + ') → ';
    const meta = $('span', { class: 'meta', text: secs(tc.durationMs) });
    if (tc.error !== undefined) return $('div', { class: 'tool' }, $('b', { text: 'tool ' }), call, $('span', { class: 'err', text: 'threw: ' + tc.error }), meta);
    const result = tc.result === undefined ? 'undefined' : JSON.stringify(tc.result);
    const short = result.length <= 200;
    const line = $('div', { class: 'tool' }, $('b', { text: 'tool ' }), call + (short ? result : ''), meta);
    return short ? line : $('div', {}, line, folded(JSON.stringify(tc.result, null, 1), 'out'));
  };
  const PAGE = 100;
  const callList = (container, ids) => {
    let shown = 0;
    const more = $('button', { class: 'more' });
    const next = () => { for (const id of ids.slice(shown, shown + PAGE)) container.insertBefore(callNode(id), more); shown = Math.min(ids.length, shown + PAGE); more.textContent = 'Show ' + Math.min(PAGE, ids.length - shown) + ' more of ' + (ids.length - shown); more.style.display = shown < ids.length ? '' : 'none'; };
    container.append(more);
    more.onclick = next;
    next();
  };
  const runNode = (runId) => {
    const r = model.runs[runId];
    const label = $('span', { text: (r.parentRunId ? 'child RLM ' : 'root RLM ') + r.runId + ' (depth ' + r.depth + ', ' + r.model + ')' }, r.status && r.status !== 'done' ? $('span', { class: 'err', text: ' ' + r.status }) : null);
    return lazy(label, r.turns.length + ' turns · ' + totals(r.totals), (d) => {
      d.append($('div', { text: 'Query: ' + r.query }));
      if (r.answer !== undefined) d.append($('div', { text: 'Answer: ' + r.answer }));
      for (const t of r.turns) d.append(turnNode(r, t));
      if (r.otherCalls.length) { const box = $('div', { text: 'Other calls:' }); callList(box, r.otherCalls); d.append(box); }
    }, { 'data-run': runId });
  };
  const turnNode = (r, t) => lazy($('span', { text: 'turn ' + t.iteration }, t.cells.some((c) => c.error) ? $('span', { class: 'err', text: ' error' }) : null), t.cells.length + ' cells · ' + totals(t.totals), (d) => {
    d.append(reply(t.reply));
    t.cells.forEach((c, i) => d.append(cellNode(r, t, c, i)));
  }, { 'data-turn': r.runId + ':' + t.iteration });
  const cellNode = (r, t, c, i) => lazy($('span', { text: 'cell ' + (i + 1) }, c.error ? $('span', { class: 'err', text: ' ' + c.error.split('\n')[0].slice(0, 80) }) : null), secs(c.durationMs) + ' · ' + c.calls.length + ' sub-calls · ' + c.children.length + ' children · ' + totals(c.totals), (d) => {
    d.append(highlight(c.code), $('div', { text: 'Output:' }), folded(c.output || '(no output)', 'out'));
    if (c.error) d.append($('pre', { class: 'out err', text: c.error }));
    for (const tc of c.tools || []) d.append(toolLine(tc));
    for (const child of c.children) d.append(runNode(child));
    if (c.calls.length) { const box = $('div', { 'data-calls': r.runId + ':' + t.iteration + ':' + i }); callList(box, c.calls); d.append(box); }
  }, { 'data-cell': r.runId + ':' + t.iteration + ':' + i });

  const tree = document.getElementById('tree');
  // A node's identity across renders: the attribute that names it.
  const KEYS = ['data-run', 'data-turn', 'data-cell', 'data-call'];
  const keyOf = (el) => { for (const k of KEYS) if (el.hasAttribute(k)) return '[' + k + '="' + CSS.escape(el.getAttribute(k)) + '"]'; return undefined; };
  const open = (el) => { if (el && !el.open) { el.open = true; el.dispatchEvent(new Event('toggle')); } };
  let drawn = false;
  const renderTree = () => {
    // Open nodes are listed in document order, so each one's parent is opened (and built) before it.
    const opened = [...tree.querySelectorAll('details[open]')].map(keyOf).filter(Boolean);
    tree.textContent = '';
    if (!model.rootRunId) return;
    const root = runNode(model.rootRunId);
    tree.append(root);
    // The root starts open; after that, it stays as the reader left it.
    if (!drawn) open(root);
    drawn = true;
    for (const key of opened) open(tree.querySelector(key));
  };

  // Opens the path to a call or a cell, for search results.
  const openPath = (runId, iteration, cellIndex, callId) => {
    const chain = [];
    for (let r = model.runs[runId]; r; r = r.parentRunId ? model.runs[r.parentRunId] : undefined) chain.unshift(r);
    // Open each ancestor run, and the turn and cell that started the next one.
    for (let k = 0; k < chain.length; k++) {
      const r = chain[k];
      const el = tree.querySelector('[data-run="' + r.runId + '"]');
      if (!el) return;
      el.open = true; el.dispatchEvent(new Event('toggle'));
      const next = chain[k + 1];
      let ti = iteration, ci = cellIndex;
      if (next) { r.turns.forEach((t) => t.cells.forEach((c, i) => { if (c.children.includes(next.runId)) { ti = t.iteration; ci = i; } })); }
      if (ti === undefined) continue;
      const turn = el.querySelector('[data-turn="' + r.runId + ':' + ti + '"]'); if (!turn) return; turn.open = true; turn.dispatchEvent(new Event('toggle'));
      if (ci === undefined) { turn.scrollIntoView({ block: 'center' }); continue; }
      const cell = turn.querySelector('[data-cell="' + r.runId + ':' + ti + ':' + ci + '"]'); if (!cell) return; cell.open = true; cell.dispatchEvent(new Event('toggle'));
      if (!next) {
        let target = cell;
        if (callId !== undefined) {
          let call = cell.querySelector('[data-call="' + callId + '"]');
          const more = cell.querySelector('button.more');
          while (!call && more && more.style.display !== 'none') { more.click(); call = cell.querySelector('[data-call="' + callId + '"]'); }
          if (call) { call.open = true; call.dispatchEvent(new Event('toggle')); target = call; }
        }
        target.scrollIntoView({ block: 'center' });
      }
    }
  };

  // Search: prompts and replies of every call, code and output of every cell.
  let index = [];
  const buildIndex = () => {
    index = [];
    for (const r of Object.values(model.runs)) r.turns.forEach((t) => t.cells.forEach((c, i) => index.push({ text: c.code + '\n' + c.output + '\n' + (c.error || '') + (c.tools || []).map((tc) => '\n' + tc.name + JSON.stringify(tc.args) + ' ' + (tc.error ?? JSON.stringify(tc.result) ?? '')).join(''), label: r.runId + ' turn ' + t.iteration + ' cell ' + (i + 1), go: () => openPath(r.runId, t.iteration, i) })));
    for (const c of Object.values(model.calls)) {
      const owner = c.runId && model.runs[c.runId];
      let where = {};
      if (owner) owner.turns.forEach((t) => { if (t.call === c.callId) where = { iteration: t.iteration }; t.cells.forEach((cell, i) => { if (cell.calls.includes(c.callId)) where = { iteration: t.iteration, cell: i }; }); });
      index.push({ text: c.messages.map((m) => m.content).join('\n') + '\n' + (c.text || ''), label: (c.kind === 'sub' ? 'sub-call #' : 'call #') + c.callId + ' (' + c.model + ')', go: () => c.runId && openPath(c.runId, where.iteration, where.cell, where.cell === undefined ? undefined : c.callId) });
    }
  };
  const results = document.getElementById('results');
  const searchBox = document.getElementById('search');
  let timer;
  const search = () => {
    const q = searchBox.value.trim().toLowerCase();
    results.textContent = '';
    if (q.length < 2) return;
    const hits = index.filter((h) => h.text.toLowerCase().includes(q));
    results.append($('div', { class: 'meta', id: 'result-count', text: hits.length + ' match' + (hits.length === 1 ? '' : 'es') + (hits.length > 200 ? ' (first 200 shown)' : '') }));
    for (const h of hits.slice(0, 200)) {
      const at = h.text.toLowerCase().indexOf(q);
      const row = $('div', { class: 'hit' }, $('b', { text: h.label + ': ' }), h.text.slice(Math.max(0, at - 40), at), $('mark', { text: h.text.slice(at, at + q.length) }), h.text.slice(at + q.length, at + q.length + 60));
      row.onclick = h.go;
      results.append(row);
    }
  };
  searchBox.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 120); });

  // Timeline: every call a bar from its start to its end; overlapping calls on separate lanes.
  const canvas = document.getElementById('timeline');
  const draw = () => {
    const calls = Object.values(model.calls).sort((a, b) => a.t - b.t);
    const width = canvas.clientWidth || 800;
    const ratio = window.devicePixelRatio || 1;
    const laneEnds = [];
    const lanes = calls.map((c) => { let lane = laneEnds.findIndex((end) => end <= c.t); if (lane < 0) { lane = laneEnds.length; laneEnds.push(0); } laneEnds[lane] = c.t + Math.max(c.durationMs, 1); return lane; });
    const laneHeight = Math.max(2, Math.min(14, 150 / Math.max(1, laneEnds.length)));
    const height = Math.max(60, laneEnds.length * laneHeight + 20);
    canvas.style.height = height + 'px';
    canvas.width = width * ratio; canvas.height = height * ratio;
    const g = canvas.getContext('2d'); g.scale(ratio, ratio);
    const end = Math.max(1, ...calls.map((c) => c.t + c.durationMs));
    const x = (t) => 4 + (t / end) * (width - 8);
    const colors = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626'];
    calls.forEach((c, i) => { g.fillStyle = c.error ? '#b42318' : c.kind === 'root' ? '#0f172a' : colors[c.depth % colors.length]; g.fillRect(x(c.t), 4 + lanes[i] * laneHeight, Math.max(1, x(c.t + c.durationMs) - x(c.t)), laneHeight - 1); });
    document.getElementById('legend').textContent = calls.length + ' calls over ' + secs(end) + '; ' + laneEnds.length + ' at most at once. Dark: root turns; colour: sub-calls by depth; red: errors.';
    canvas.dataset.maxOverlap = String(laneEnds.length);
  };
  window.addEventListener('resize', draw);

  const render = (next, options = {}) => {
    model = next;
    renderSummary(options.pending || 'unfinished');
    renderTree();
    buildIndex();
    if (searchBox.value.trim().length >= 2) search();
    draw();
  };
  return { render };
})();
`;
