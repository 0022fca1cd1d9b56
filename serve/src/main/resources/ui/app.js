// converge dashboard: reads /ui/api/{live,model,drift,training} and redraws; changes state only through the admin
// routes, with the token typed in the header (kept in this tab's sessionStorage, sent as a bearer token).
'use strict';

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
const fmt = (v, d = 2) => v == null || Number.isNaN(v) ? '–' : Number(v).toFixed(d);
const when = (iso) => iso ? new Date(iso).toLocaleString() : '';

async function getJson(path) {
  const r = await fetch(path, {cache: 'no-store'});
  if (!r.ok) throw new Error(path + ': ' + r.status);
  return r.json();
}

// ---- admin token ------------------------------------------------------------------------------------------------
const tokenInput = $('token');
tokenInput.value = sessionStorage.getItem('converge-token') || '';
function token() { return tokenInput.value.trim(); }
function adminMode() {
  const on = token().length > 0;
  document.querySelectorAll('button.admin, input.share').forEach((b) => { b.disabled = !on; });
  $('mode').textContent = on
    ? 'Admin: actions are sent with this token; the server refuses them if it is wrong.'
    : 'Read-only: the page changes nothing without the admin token (serve.admin_token).';
  $('mode').classList.toggle('admin', on);
}
tokenInput.addEventListener('input', () => { sessionStorage.setItem('converge-token', token()); adminMode(); });

async function admin(path, body) {
  const out = $('action-result');
  try {
    const r = await fetch(path, {method: 'POST', headers: {'content-type': 'application/json', authorization: 'Bearer ' + token()},
      body: body ? JSON.stringify(body) : ''});
    const text = await r.text();
    let msg = text;
    try { const j = JSON.parse(text); msg = j.message || JSON.stringify(j); } catch (e) { /* not JSON */ }
    out.textContent = (r.ok ? 'done: ' : 'refused (' + r.status + '): ') + msg;
    out.className = 'result ' + (r.ok ? 'ok' : 'bad');
    refreshModel();
  } catch (e) {
    out.textContent = 'failed: ' + e.message;
    out.className = 'result bad';
  }
}
$('rollback').addEventListener('click', () => admin('/admin/models/rollback'));

// ---- charts -------------------------------------------------------------------------------------------------------
function chart(el, title, series, height = 170) {
  const opts = {
    title, width: el.clientWidth || 480, height,
    scales: {x: {time: true}},
    series: [{}].concat(series.map(([label, stroke, scale]) => ({label, stroke, width: 1.5, scale: scale || 'y', spanGaps: true}))),
    axes: [{}, {scale: 'y', size: 56}].concat(series.some((s) => s[2] === 'y2') ? [{scale: 'y2', side: 1, grid: {show: false}, size: 50}] : []),
    legend: {live: true},
  };
  const u = new uPlot(opts, [[]].concat(series.map(() => [])), el);
  new ResizeObserver(() => u.setSize({width: el.clientWidth, height})).observe(el);
  return u;
}
const charts = {
  traffic: chart($('traffic-chart'), 'requests / s', [['2xx', '#1f9d55'], ['4xx', '#d99a06'], ['5xx', '#d64545'], ['shed', '#7a4fd6'], ['degraded', '#2f6fde']]),
  latency: chart($('latency-chart'), 'predict latency (ms)', [['p50', '#2f6fde'], ['p99', '#d64545']]),
  runtime: chart($('runtime-chart'), 'event loop and queues', [['loop lag p99 ms', '#d64545'], ['scoring queue', '#7a4fd6', 'y2'], ['pool in use', '#1f9d55', 'y2']]),
  heap: chart($('heap-chart'), 'JVM heap used (MB)', [['heap MB', '#2f6fde']], 120),
  cache: chart($('cache-chart'), 'cache', [['hit ratio', '#1f9d55'], ['lookups / s', '#2f6fde', 'y2'], ['single flight shared / s', '#7a4fd6', 'y2']]),
};

// ---- live ---------------------------------------------------------------------------------------------------------
let lastServed = null;
async function refreshLive() {
  const l = await getJson('/ui/api/live');
  $('model-name').textContent = l.model;
  const s = l.served || {};
  lastServed = s;
  const ready = $('ready');
  ready.textContent = s.ready ? 'ready' : 'not ready: ' + (s.reason || '');
  ready.className = 'pill ' + (s.ready ? 'ok' : 'bad');
  charts.traffic.setData([l.t, l.ok_per_s, l.client_errors_per_s, l.server_errors_per_s, l.shed_per_s, l.degraded_per_s]);
  charts.latency.setData([l.t, l.p50_ms, l.p99_ms]);
  charts.runtime.setData([l.t, l.loop_lag_p99_ms, l.scoring_queue, l.pool_in_use]);
  charts.heap.setData([l.t, l.heap_mb]);
  charts.cache.setData([l.t, l.cache_hit_ratio, l.cache_lookups_per_s, l.single_flight_shared_per_s]);
  const n = l.t.length;
  $('traffic-chart').dataset.points = String(n);
  $('traffic-chart').dataset.lastOk = String(n ? l.ok_per_s[n - 1] : 0);
  const sum = (a) => a.reduce((x, y) => x + (y || 0), 0);
  const lookups = sum(l.cache_lookups_per_s.slice(-60));
  const hits = l.cache_hit_ratio.slice(-60).reduce((acc, r, i) => acc + (r == null ? 0 : r * (l.cache_lookups_per_s.slice(-60)[i] || 0)), 0);
  $('cache-figures').innerHTML = [['hit ratio, last minute', lookups ? fmt(hits / lookups * 100, 1) + '%' : '–'],
    ['lookups, last minute', lookups], ['shared by single flight', sum(l.single_flight_shared_per_s.slice(-60))]]
    .map(([k, v]) => `<div class="figure"><b>${v}</b><span>${k}</span></div>`).join('')
    + `<div class="figure decision"><span>for this model: ${esc(s.champion ? s.champion.cache : '–')}</span></div>`;
  $('breakers').innerHTML = Object.entries(l.breakers || {}).map(([d, st]) =>
    `<div class="breaker" data-dependency="${esc(d)}" data-state="${esc(st)}">${esc(d)} <span class="pill ${st === 'closed' ? 'ok' : st === 'open' ? 'bad' : 'warn'}">${esc(st)}</span></div>`).join('')
    || '<span class="empty">no breakers</span>';
  $('transitions').innerHTML = (l.transitions || []).map((t) =>
    `<li><time>${when(t.at)}</time>${esc(t.dependency)}: ${esc(t.from)} → ${esc(t.to)}</li>`).join('');
  renderServed();
}

// ---- model --------------------------------------------------------------------------------------------------------
let lastModel = null;
function renderServed() {
  const s = lastServed;
  if (!s) return;
  const rows = [];
  if (s.champion) {
    rows.push(`<tr id="champion" data-version="${s.champion.version}"><td><span class="tag champion">champion</span></td><td>v${s.champion.version}</td>`
      + `<td>${esc(s.champion.algorithm)}</td><td>scoring ${esc(s.champion.scoring)}, p90 ${fmt(s.champion.p90_us, 1)} µs per row</td><td></td></tr>`);
  }
  for (const c of (s.deployment && s.deployment.challengers) || []) {
    const share = `<input class="share" type="number" min="0" max="1" step="0.05" value="${c.share}" data-version="${c.version}"> `
      + `<button class="admin set-share" data-version="${c.version}">set share</button>`;
    rows.push(`<tr class="challenger" data-version="${c.version}"><td><span class="tag ${c.mode === 'shadow' ? 'shadow' : 'challenger'}">${c.mode === 'shadow' ? 'shadow' : 'challenger'}</span>`
      + `${c.canary ? '<span class="tag">canary</span>' : ''}</td><td>v${c.version}</td><td>${fmt(c.share * 100, 1)}% of requests</td>`
      + `<td>${c.answered} answered, ${c.errors} errors</td><td>${c.mode === 'split' ? share : ''}</td></tr>`);
  }
  const tbody = $('served').querySelector('tbody');
  const html = rows.join('') || '<tr><td class="empty">no model loaded</td></tr>';
  if (tbody.dataset.html !== html && !tbody.contains(document.activeElement)) {
    tbody.innerHTML = html;
    tbody.dataset.html = html;
    tbody.querySelectorAll('button.set-share').forEach((b) => b.addEventListener('click', () => {
      const v = Number(b.dataset.version);
      const input = tbody.querySelector(`input.share[data-version="${v}"]`);
      admin('/admin/experiment/share', {version: v, share: Number(input.value), reason: 'set from the dashboard'});
    }));
    adminMode();
  }
}

async function refreshModel() {
  const m = await getJson('/ui/api/model');
  lastModel = m;
  const champion = lastServed && lastServed.champion ? lastServed.champion.version : null;
  $('versions').querySelector('tbody').innerHTML = m.versions.map((v) => {
    const metrics = Object.entries(v.metrics).filter(([k]) => ['auc', 'logloss', 'rmse', 'mae', 'r2'].includes(k))
      .map(([k, x]) => `${esc(k)} ${fmt(x, 4)}`).join(', ');
    return `<tr data-version="${v.version}"><td>v${v.version}${v.version === champion ? '<span class="tag champion">champion</span>' : ''}</td>`
      + `<td>${esc(v.metrics.model_algorithm || v.algorithm)}</td><td>${when(v.registered_at)}</td><td>${metrics}</td>`
      + `<td>${v.version === champion ? '' : `<button class="admin promote" data-version="${v.version}">promote</button>`}</td></tr>`;
  }).join('');
  $('versions').querySelectorAll('button.promote').forEach((b) => b.addEventListener('click', () =>
    admin('/admin/registry/promote', {version: Number(b.dataset.version), reason: 'promoted from the dashboard'})));
  const items = m.events.map((e) => ({at: e.at, html: `<b>${esc(e.event.replace('_', ' '))}</b> v${e.version} by ${esc(e.actor)}${e.reason ? ': ' + esc(e.reason) : ''}`, kind: 'event', event: e.event, version: e.version}))
    .concat(m.deployments.map((d) => ({at: d.at, html: `<b>deployment #${d.id}</b> ${d.challengers.length ? d.challengers.map((c) => `v${c.version} ${esc(c.mode)} ${fmt(c.share * 100, 1)}%`).join(', ') : 'champion only'} by ${esc(d.actor)}${d.reason ? ': ' + esc(d.reason) : ''}`, kind: 'deployment'})))
    .sort((a, b) => b.at.localeCompare(a.at));
  $('history').innerHTML = items.map((i) => `<li data-kind="${i.kind}"${i.event ? ` data-event="${esc(i.event)}" data-version="${i.version}"` : ''}><time>${when(i.at)}</time>${i.html}</li>`).join('')
    || '<li class="empty">no history</li>';
  adminMode();
}

// ---- drift --------------------------------------------------------------------------------------------------------
let selected = null;
async function refreshDrift() {
  const d = await getJson('/ui/api/drift');
  const psi = $('psi');
  if (!d.features.length) {
    psi.innerHTML = '<p class="empty">No drift run yet (serve.drift.interval_minutes, or POST /admin/drift/run).</p>';
    $('drift-when').textContent = '';
    $('hist-legend').hidden = true;
    return;
  }
  $('drift-when').textContent = `v${d.version}, ${d.sample_rows} sampled predictions, ${when(d.computed_at)}`;
  const max = Math.max(d.psi_alert * 1.6, ...d.features.map((f) => f.psi || 0));
  const x = (v) => Math.min(100, v / max * 100) + '%';
  psi.innerHTML = d.features.map((f) => {
    const color = f.level === 'alert' ? 'var(--bad)' : f.level === 'warn' ? 'var(--warn)' : 'var(--ok)';
    return `<div class="psi-row" data-feature="${esc(f.feature)}"><span>${esc(f.feature)}</span><div class="psi-bar">`
      + `<i style="width:${x(f.psi || 0)};background:${color}"></i><span class="th" style="left:${x(d.psi_warn)};background:var(--warn)"></span>`
      + `<span class="th" style="left:${x(d.psi_alert)};background:var(--bad)"></span></div><span>${fmt(f.psi, 3)}</span></div>`;
  }).join('') + `<div class="legend">PSI per feature; lines at ${d.psi_warn} (warn) and ${d.psi_alert} (alert)</div>`;
  psi.querySelectorAll('.psi-row').forEach((r) => r.addEventListener('click', () => { selected = r.dataset.feature; histogram(d); }));
  if (!selected || !d.features.some((f) => f.feature === selected)) selected = d.features[0].feature;
  histogram(d);
}
function histogram(d) {
  const f = d.features.find((x) => x.feature === selected);
  $('hist-legend').hidden = false;
  $('hist-title').textContent = `${f.feature}: live share per bin over the training baseline`;
  const bins = Object.entries(f.bins);
  const top = Math.max(...bins.map(([, [b, l]]) => Math.max(b, l)), 0.0001);
  $('histogram').innerHTML = bins.map(([name, [b, l]]) => `<div class="hbin" title="${esc(name)}: baseline ${fmt(b * 100, 1)}%, live ${fmt(l * 100, 1)}%">`
    + `<i class="base" style="height:${b / top * 100}%"></i><i class="live" style="height:${l / top * 100}%"></i></div>`).join('');
}

// ---- training -----------------------------------------------------------------------------------------------------
async function refreshTraining() {
  const t = await getJson('/ui/api/training');
  $('training').innerHTML = t.sweeps.map((s) => {
    const ok = s.runs.filter((r) => r.status === 'succeeded' && r.score != null);
    const lowerBetter = ['logloss', 'rmse', 'mae', 'mse'].includes(s.metric);
    const best = ok.length ? ok.reduce((a, b) => (lowerBetter ? b.score < a.score : b.score > a.score) ? b : a) : null;
    const runs = s.runs.slice().sort((a, b) => (b.score == null) - (a.score == null) || (lowerBetter ? a.score - b.score : b.score - a.score));
    return `<div class="sweep"><h3>v${s.version}${s.champion ? ' <span class="tag champion">champion</span>' : ''} · sweep ${esc(s.sweep_id.slice(0, 8))} · ${when(s.at)} · by ${esc(s.metric)}</h3>`
      + '<table><thead><tr><th>#</th><th>algorithm</th><th>status</th><th>' + esc(s.metric) + '</th><th>runtime</th></tr></thead><tbody>'
      + runs.map((r) => `<tr class="${r === best ? 'chosen' : ''}"><td>${r.task}</td><td>${esc(r.algorithm)}${r === best ? ' <span class="tag champion">chosen</span>' : ''}</td>`
        + `<td>${esc(r.status)}${r.error ? ': ' + esc(r.error).slice(0, 80) : ''}</td><td>${fmt(r.score, 4)}</td><td>${fmt(r.runtime_ms / 1000, 1)} s</td></tr>`).join('')
      + '</tbody></table></div>';
  }).join('') || '<p class="empty">No training sweep recorded for this model.</p>';
}

// ---- loop ---------------------------------------------------------------------------------------------------------
function every(ms, f) {
  const run = () => f().catch((e) => console.warn(e.message)).finally(() => setTimeout(run, ms));
  run();
}
adminMode();
every(1000, refreshLive);
every(2000, refreshModel);
every(10000, refreshDrift);
every(30000, refreshTraining);
