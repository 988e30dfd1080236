/**
 * The server's home page, `/`: a form that starts a run — a question over a file read in the
 * browser, pasted text, or one of the server's corpora — and the list of runs, this process's and
 * earlier ones', each opening its page (`/runs/:id`). One self-contained page: no CDN, no build.
 */
import { WEB_API_SCRIPT, WEB_STYLE } from './web-style.ts';

export function renderHomePage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>rlm</title>
<style>${WEB_STYLE}</style></head>
<body>
<header><h1>rlm</h1><div class="meta">A question over a long context, answered by a model that writes code over it.</div></header>
<main>
<section><h2>Ask</h2>
<form id="ask-form" novalidate>
  <label for="model">Model</label>
  <select id="model" name="model"></select>
  <label for="query">Question</label>
  <textarea id="query" name="query" placeholder="What do you want to know?"></textarea>
  <div id="context-box">
    <label for="context-file">Context: a text file…</label>
    <input id="context-file" type="file">
    <label for="context-text">…or pasted text</label>
    <textarea id="context-text" placeholder="Paste the text to ask about"></textarea>
  </div>
  <div id="corpus-note" class="meta" hidden>This model answers over its own corpus: it needs no context.</div>
  <details><summary>Limits (optional; the server's own caps hold whatever you ask)</summary>
    <div class="limits">
      <label>Max cost (USD) <input id="max_cost_usd" type="number" min="0" step="any"></label>
      <label>Max calls <input id="max_calls" type="number" min="1" step="1"></label>
      <label>Max tokens <input id="max_tokens" type="number" min="1" step="1"></label>
      <label>Timeout (s) <input id="timeout_seconds" type="number" min="1" step="any"></label>
    </div>
  </details>
  <p><button id="start" class="primary" type="submit">Start</button></p>
  <div id="form-problem" class="problem" role="alert"></div>
</form></section>
<section><h2>Runs</h2>
<div id="health" class="meta"></div>
<ul id="workers" class="meta"></ul>
<div id="runs-problem" class="problem" role="alert"></div>
<table><thead><tr><th>Question</th><th>State</th><th>Progress</th><th>Started</th></tr></thead><tbody id="runs"></tbody></table>
<p><button id="older" type="button" hidden>Older runs</button></p>
</section>
</main>
<script>${WEB_API_SCRIPT}${HOME_SCRIPT}</script>
</body></html>
`;
}

const HOME_SCRIPT = String.raw`
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('ask-form'), problem = $('form-problem');
  const corpora = new Set();

  // Models: 'rlm' takes a context; every other model the server lists is one of its corpora.
  api('/v1/models').then((list) => {
    for (const m of list.data) {
      $('model').append(el('option', { value: m.id, text: m.id === 'rlm' ? 'rlm (your context)' : m.id + ' (corpus)' }));
      if (m.id !== 'rlm') corpora.add(m.id);
    }
    showContext();
  }, (error) => { problem.textContent = 'Cannot list the models: ' + error.message; });
  const showContext = () => { const corpus = corpora.has($('model').value); $('context-box').hidden = corpus; $('corpus-note').hidden = !corpus; };
  $('model').addEventListener('change', showContext);

  // A file is read here, as text: a binary file (a NUL byte) or one that is not UTF-8 is refused, not sent garbled.
  const readText = async (file) => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.includes(0)) throw new Error(file.name + ' is a binary file; the context must be text');
    try { return new TextDecoder('utf-8', { fatal: true }).decode(bytes); }
    catch { throw new Error(file.name + ' is not UTF-8 text'); }
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.textContent = '';
    const body = { model: $('model').value || 'rlm', query: $('query').value };
    if (!body.query.trim()) { problem.textContent = 'Write a question.'; return; }
    try {
      if (!corpora.has(body.model)) {
        const file = $('context-file').files[0];
        const pasted = $('context-text').value;
        if (file && pasted) throw new Error('Give the context once: a file or pasted text, not both.');
        if (!file && !pasted) throw new Error('Give a context: choose a file or paste text.');
        body.context = file ? await readText(file) : pasted;
        if (!body.context) throw new Error((file ? file.name : 'The context') + ' is empty.');
      }
      const limits = {};
      for (const name of ['max_cost_usd', 'max_calls', 'max_tokens', 'timeout_seconds']) if ($(name).value !== '') limits[name] = Number($(name).value);
      if (Object.keys(limits).length) body.limits = limits;
      $('start').disabled = true;
      const run = await api('/v1/runs', { method: 'POST', headers: { 'content-type': 'application/json', 'x-rlm-origin': 'page' }, body: JSON.stringify(body) });
      location.href = run.urls.page;
    } catch (error) {
      problem.textContent = (error.param ? error.param + ': ' : '') + error.message;
      $('start').disabled = false;
    }
  });

  // The list: newest first, a page at a time; refreshed while a run on it is still going.
  const rows = $('runs');
  const clip = (text, n) => text.length > n ? text.slice(0, n) + '…' : text;
  const row = (r) => {
    const progress = r.live && !ENDED(r.state) ? r.progressLine : r.usage ? r.usage.total.calls + ' calls' : '';
    const outcome = r.answer !== undefined ? 'answered' : ENDED(r.state) ? 'no answer' : '';
    return el('tr', { 'data-run': r.id },
      el('td', {}, el('a', { href: '/runs/' + r.id, text: clip(r.query || '(no question recorded)', 140) })),
      el('td', { class: 'state' }, r.state + (outcome ? ' · ' + outcome : '')),
      el('td', { class: 'meta' }, progress),
      el('td', { class: 'meta' }, new Date(r.createdAt).toLocaleString()));
  };
  let shown = [];
  let refresh;
  const load = async (after) => {
    try {
      const page = await api('/v1/runs?limit=50' + (after ? '&after=' + encodeURIComponent(after) : ''));
      shown = after ? shown.concat(page.data) : page.data;
      rows.replaceChildren(...shown.map(row));
      $('older').hidden = !page.has_more;
      $('older').onclick = () => load(page.last_id);
      $('runs-problem').textContent = '';
      clearTimeout(refresh);
      if (!after && shown.some((r) => !ENDED(r.state))) refresh = setTimeout(() => load(), 2000);
    } catch (error) { $('runs-problem').textContent = 'Cannot list the runs: ' + error.message; }
  };
  load();

  // Load: runs at once and waiting; with workers on a queue, the queue's depth, failures and each worker's runs.
  const health = async () => {
    try {
      const h = await api('/v1/health');
      const failed = h.queue ? ' · ' + h.queue.failed + ' failed on the queue' : '';
      const ended = h.endings ? Object.entries(h.endings).map(([s, n]) => n + ' ' + s).join(', ') : '';
      $('health').textContent = h.running + ' running (of ' + h.maxRunning + ' at once), ' + h.queued + ' waiting' + failed +
        (ended ? ' · ended: ' + ended : '') + (h.draining ? ' · shutting down' : '');
      $('workers').replaceChildren(...(h.workers || []).map((w) => el('li', { 'data-worker': w.id,
        text: 'worker ' + w.label + ': ' + w.running.length + ' of ' + w.concurrency + ' running' + (w.running.length ? ' (' + w.running.join(', ') + ')' : '') +
          ', ' + w.finished + ' finished, ' + w.failed + ' without an answer' + (w.draining ? ' · draining' : '') })));
    } catch { $('health').textContent = ''; }
    setTimeout(health, 5000);
  };
  health();
})();
`;
