/**
 * A run's page, `/runs/:id`: the trace viewer, made live. The page asks the server for the run's
 * view model (`GET /v1/runs/:id/view?after=<events seen>`, which waits until the run has moved on)
 * and draws it again with the viewer's own `render`, so the tree and the timeline fill in as the
 * run goes — one viewer, the model built in one place (view-model.ts) for both. Above it: the
 * run's state and progress, a Cancel button while it runs, and at the end its answer or, when
 * there is none, a box that says so and why.
 *
 * The page holds no data of its own (the run's id is in its address): what it shows comes from
 * the API, behind the server's token.
 */
import { VIEWER_SCRIPT, viewerMarkup } from '../trace/viewer.ts';
import { WEB_API_SCRIPT, WEB_STYLE } from './web-style.ts';

export function renderRunPage(id: string): string {
  // `id` is a checked run id (letters, digits, `_` and `-`): safe in HTML and in a script string.
  const bar = `<div id="run-top"><div id="run-bar"><a href="/">← All runs</a><span><b>State:</b> <span id="run-state">loading</span></span>
<span id="run-progress" class="meta"></span><button id="cancel" type="button" hidden>Cancel</button></div>
<div id="run-problem" class="problem" role="alert"></div><div id="outcome"></div></div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>rlm run ${id}</title>
<style>${WEB_STYLE}</style></head>
<body data-run-id="${id}">
${bar}
${viewerMarkup(`rlm run ${id}`)}
<script>${VIEWER_SCRIPT}${WEB_API_SCRIPT}${RUN_SCRIPT}</script>
</body></html>
`;
}

const RUN_SCRIPT = String.raw`
(() => {
  const $ = (id) => document.getElementById(id);
  const id = document.body.dataset.runId;
  const base = '/v1/runs/' + encodeURIComponent(id);

  // The answer only when there is one; otherwise, once the run has ended, why there is none.
  const showRun = (run) => {
    $('run-state').textContent = run.state;
    $('run-progress').textContent = run.live && !ENDED(run.state) ? run.progressLine : '';
    $('cancel').hidden = !run.live || ENDED(run.state);
    const outcome = $('outcome');
    if (run.answer !== undefined) {
      outcome.replaceChildren(el('div', { class: 'answer', id: 'answer-box' }, el('b', { text: 'Answer' }), el('pre', { text: run.answer })));
    } else if (ENDED(run.state)) {
      const why = run.error && run.error.message !== run.state ? ': ' + run.error.message : '';
      outcome.replaceChildren(el('div', { class: 'no-answer', id: 'no-answer' }, el('b', { text: 'No answer' }), ' — the run ended without one, status ' + run.state + why));
    } else outcome.replaceChildren();
  };

  $('cancel').onclick = async () => {
    $('cancel').disabled = true;
    try { await api(base, { method: 'DELETE' }); }
    catch (error) { $('run-problem').textContent = 'Cannot cancel: ' + error.message; }
  };

  // Ask again as soon as the server says the run has moved on; a large run is drawn less often,
  // so that drawing never takes most of the page's time.
  const follow = async () => {
    let seen;
    for (;;) {
      let view;
      try { view = await api(base + '/view' + (seen === undefined ? '' : '?after=' + seen)); }
      catch (error) {
        $('run-problem').textContent = error.status === 404 ? 'There is no run ' + id + ' on this server.' : 'Cannot follow the run: ' + error.message + ' (retrying)';
        if (error.status === 404 || error.status === 401) return;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        continue;
      }
      $('run-problem').textContent = '';
      const began = performance.now();
      if (view.events !== seen || ENDED(view.run.state)) rlmViewer.render(view.model, { pending: view.run.state });
      showRun(view.run);
      seen = view.events;
      if (ENDED(view.run.state)) return;
      await new Promise((resolve) => setTimeout(resolve, Math.max(250, 4 * (performance.now() - began))));
    }
  };
  follow();
})();
`;
