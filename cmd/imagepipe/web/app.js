// The imagepipe dev page: sign in as a dev user, upload through presigned
// PUT URLs, follow each image through the state machine, inspect executions
// and the CustomS3 figures. Plain JavaScript; the Go server embeds it.
'use strict';

const POLL_MS = 1000;
const FINAL = new Set(['DONE', 'FAILED']);

const state = {
  session: null,        // {token, username, sub, expiresAt}
  images: new Map(),    // imageId -> {name, status, ...}; insertion = newest last
  selected: null,       // execution name shown in the detail panel
  view: 'images',
  timer: null,
};

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// ---- session ---------------------------------------------------------------

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem('imagepipe.session') || 'null');
    if (s && Date.parse(s.expiresAt) > Date.now() + 30000) return s;
  } catch (_) { /* a damaged entry is no session */ }
  return null;
}

async function signIn(username) {
  const resp = await fetch('/dev/token', {
    method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({username}),
  });
  const body = await resp.json();
  if (!resp.ok) throw new Error(body.error ? body.error.message : resp.statusText);
  state.session = {token: body.id_token, username: body.username, sub: body.sub,
    expiresAt: body.expires_at};
  sessionStorage.setItem('imagepipe.session', JSON.stringify(state.session));
}

function signOut(message) {
  state.session = null;
  state.images.clear();
  sessionStorage.removeItem('imagepipe.session');
  $('#cards').replaceChildren();
  $('#signin-error').textContent = message || '';
  render();
}

// api calls the local HTTP API with the token; a 401 ends the session, as
// an expired Cognito token would.
async function api(method, path, body) {
  const init = {method, headers: {Authorization: 'Bearer ' + state.session.token}};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  if (resp.status === 401) {
    signOut('Your session ended; sign in again.');
    throw new Error('unauthorized');
  }
  let data = null;
  try { data = await resp.json(); } catch (_) { /* no body */ }
  return {status: resp.status, ok: resp.ok, data};
}

function apiMessage(r) {
  if (r.data && r.data.error) return r.data.error.message;
  if (r.data && r.data.message) return r.data.message;
  return 'HTTP ' + r.status;
}

// ---- uploads -----------------------------------------------------------------

async function uploadFiles(files) {
  // One at a time in order, each with its own card, so progress reads well.
  for (const file of files) await uploadOne(file);
}

async function uploadOne(file) {
  const local = 'local-' + Math.random().toString(36).slice(2);
  const img = {id: local, name: file.name, status: 'UPLOADING', progress: 0};
  state.images.set(local, img);
  renderCards();

  // The browser's type for the file, from its name. The pipeline never
  // trusts it: fetch sniffs the bytes and rejects what is not an image.
  const contentType = file.type || 'application/octet-stream';
  let r;
  try {
    r = await api('POST', '/uploads', {contentType, contentLength: file.size});
  } catch (e) {
    return fail(img, e.message);
  }
  if (r.status !== 201) return fail(img, 'The upload API refused it: ' + apiMessage(r));
  const up = r.data;

  state.images.delete(local);
  img.id = up.image_id;
  state.images.set(img.id, img);
  renderCards();

  try {
    await put(up, file, (p) => { img.progress = p; renderCard(img); });
  } catch (e) {
    return fail(img, e.message);
  }
  img.status = 'QUEUED';
  img.progress = 1;
  renderCard(img);
}

function fail(img, reason) {
  img.status = 'FAILED';
  img.reason = reason;
  img.final = true;
  renderCards();
}

// put sends the file to the presigned URL with exactly the signed headers.
// Content-Length is the browser's to set, from the body.
function put(up, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(up.method || 'PUT', up.upload_url);
    for (const [k, v] of Object.entries(up.headers || {})) {
      if (k.toLowerCase() !== 'content-length') xhr.setRequestHeader(k, v);
    }
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new Error('S3 refused the upload: HTTP ' + xhr.status + ' ' +
        s3Code(xhr.responseText)));
    };
    xhr.onerror = () => reject(new Error('the upload to S3 failed (network or CORS)'));
    xhr.send(file);
  });
}

function s3Code(xml) {
  const m = /<Message>([^<]*)<\/Message>/.exec(xml || '');
  return m ? m[1] : '';
}

// ---- status polling -----------------------------------------------------------

async function loadImages() {
  const r = await api('GET', '/images?limit=100');
  if (!r.ok) return;
  // Oldest first into the map, so the newest end up on top when drawn.
  for (const it of (r.data.images || []).slice().reverse()) {
    const id = it.imageId;
    const img = state.images.get(id) || {id, name: id};
    mergeItem(img, it);
    state.images.set(id, img);
  }
  renderCards();
}

function mergeItem(img, it) {
  img.status = it.status;
  img.reason = it.reason;
  img.item = it;
  img.final = FINAL.has(it.status);
}

async function pollImages() {
  const open = [...state.images.values()].filter(
    (i) => !i.final && i.status !== 'UPLOADING' && !i.id.startsWith('local-'));
  await Promise.all(open.map(pollImage));
}

async function pollImage(img) {
  const r = await api('GET', '/images/' + encodeURIComponent(img.id));
  if (r.ok && FINAL.has(r.data.status)) {
    mergeItem(img, r.data);
  }
  // Until the item is written (Persist or RecordRejection), the execution
  // tells where the image is.
  const x = await api('GET', '/dev/executions?limit=1&imageId=' + encodeURIComponent(img.id));
  if (x.ok && x.data.executions.length > 0) {
    const e = x.data.executions[0];
    img.execution = e.name;
    if (!img.final) {
      img.status = e.status === 'RUNNING' ? 'RUNNING' : img.status;
      img.step = e.currentState || '';
    }
  }
  renderCard(img);
}

// ---- image cards ----------------------------------------------------------------

function renderCards() {
  const cards = $('#cards');
  const list = [...state.images.values()].reverse();
  cards.replaceChildren(...list.map(cardFor));
  $('#no-images').hidden = list.length > 0;
}

function renderCard(img) {
  const old = document.querySelector(`.card[data-key="${CSS.escape(img.id)}"]`);
  if (old) old.replaceWith(cardFor(img));
  else renderCards();
}

function cardFor(img) {
  const it = img.item || {};
  const status = img.status + (img.status === 'RUNNING' && img.step ? ' · ' + img.step : '');
  const card = el('article', {class: 'card', 'data-key': img.id,
    'data-image-id': img.id.startsWith('local-') ? null : img.id,
    'data-status': img.status, 'data-name': img.name},
  el('div', {class: 'name', text: img.name}),
  el('div', {class: 'status ' + img.status, text: status}));

  if (img.status === 'UPLOADING' || (img.status === 'QUEUED' && img.progress < 1)) {
    card.append(el('progress', {max: 1, value: img.progress || 0}));
  }
  const variants = it.variants || [];
  if (img.status === 'DONE' && variants.length > 0) {
    const thumb = variants.find((v) => v.name === 'thumb') ||
      variants.reduce((a, b) => (a.width <= b.width ? a : b));
    card.append(el('div', {class: 'thumbbox'},
      el('img', {class: 'thumb', src: thumb.url, alt: img.name + ' (' + thumb.name + ')'})));
    const o = it.original || {};
    card.append(el('div', {class: 'facts', text: [o.format, o.width && o.height ?
      `${o.width}×${o.height}` : '', o.bytes ? formatBytes(o.bytes) : '']
      .filter(Boolean).join(' · ')}));
    card.append(el('div', {class: 'variants'}, ...variants.map((v) =>
      el('a', {href: v.url, target: '_blank', rel: 'noopener',
        text: `${v.name} ${v.width}×${v.height}`}))));
  }
  if (img.status === 'FAILED') {
    card.append(el('div', {class: 'reason', text: img.reason || 'failed'}));
  }
  if (img.execution || !img.id.startsWith('local-')) {
    card.append(el('button', {type: 'button', class: 'link open-execution',
      text: 'execution', onclick: () => openExecutionOf(img)}));
  }
  return card;
}

async function openExecutionOf(img) {
  let name = img.execution;
  if (!name) {
    const x = await api('GET', '/dev/executions?limit=1&imageId=' + encodeURIComponent(img.id));
    if (x.ok && x.data.executions.length > 0) name = x.data.executions[0].name;
  }
  if (!name) return;
  state.selected = name;
  location.hash = '#executions';
}

function formatBytes(n) {
  if (n < 1024) return n + ' B';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + ' ' + units[i];
}

// ---- executions ---------------------------------------------------------------------

async function loadExecutions() {
  const status = $('#exec-status').value;
  const r = await api('GET', '/dev/executions?limit=200' + (status ? '&status=' + status : ''));
  if (!r.ok) return;
  const rows = r.data.executions.map((e) => el('tr', {
    class: 'selectable' + (e.name === state.selected ? ' selected' : ''),
    'data-execution': e.name, onclick: () => { state.selected = e.name; refresh(); }},
  el('td', {text: new Date(e.startDate).toLocaleTimeString()}),
  el('td', {text: e.imageId ? e.imageId.slice(0, 8) : '—', title: e.imageId || ''}),
  el('td', {class: 'status ' + e.status,
    text: e.status + (e.currentState ? ' · ' + e.currentState : '')})));
  $('#exec-table tbody').replaceChildren(...rows);
  if (state.selected) await loadExecution(state.selected);
}

async function loadExecution(name) {
  const r = await api('GET', '/dev/executions/' + encodeURIComponent(name));
  const box = $('#exec-detail');
  if (!r.ok) {
    box.replaceChildren(el('p', {class: 'error', text: apiMessage(r)}));
    return;
  }
  const {execution: e, input, states} = r.data;
  const openBefore = new Set([...box.querySelectorAll('details[open]')].map((d) => d.dataset.k));
  const message = el('p', {class: 'hint', id: 'exec-message'});
  const act = async (path, verb) => {
    const res = await api('POST', '/dev/executions/' + encodeURIComponent(e.name) + path);
    if (res.ok) {
      state.selected = res.data.execution.name;
      message.textContent = verb + ': ' + res.data.execution.name;
      refresh();
    } else {
      message.textContent = apiMessage(res);
    }
  };
  box.replaceChildren(
    el('h3', {text: e.name}),
    el('div', {class: 'status ' + e.status, id: 'exec-status-line',
      text: e.status + (e.error ? ' · ' + e.error : '') +
        (e.redriveCount ? ` · redriven ${e.redriveCount}×` : '')}),
    e.cause ? el('div', {class: 'reason', text: e.cause}) : null,
    el('div', {class: 'facts', text: 'image ' + (e.imageId || '—') + ' · user ' +
      (e.userId || '—') + ' · started ' + new Date(e.startDate).toLocaleString()}),
    el('div', {class: 'actions'},
      // A rejected upload would only fail again in its Fail state.
      el('button', {type: 'button', id: 'redrive',
        disabled: e.redriveStatus !== 'REDRIVABLE' || e.error === 'ImageRejected',
        title: e.error === 'ImageRejected'
          ? 'A rejected upload fails the same way again: start a new execution instead'
          : 'Resume at the state that failed, as the console\'s Redrive does',
        onclick: () => act('/redrive', 'Redriven'), text: 'Redrive'}),
      el('button', {type: 'button', class: 'secondary', id: 'restart',
        disabled: e.status === 'RUNNING', onclick: () => act('/restart', 'Started'),
        text: 'New execution with the same input'})),
    message,
    details('input', 'Execution input', input, openBefore),
    ...states.map((s, i) => stateBlock(s, i, openBefore)));
}

function stateBlock(s, i, openBefore) {
  const title = `${s.name} (${s.type})`;
  const retries = s.retries > 0 ? ` · ${s.retries} ${s.retries === 1 ? 'retry' : 'retries'}` : '';
  const took = s.exitedAt ? ` · ${Math.max(0, Date.parse(s.exitedAt) -
    Date.parse(s.enteredAt))} ms` : '';
  const block = el('div', {class: 'state ' + s.status, 'data-state': s.name,
    'data-status': s.status},
  s.redrive ? el('div', {class: 'hint', text: `— redrive ${s.redrive} —`}) : null,
  el('h4', {}, title + ' ', el('span', {class: 'status ' + s.status,
    text: s.status + retries + took})));
  if (s.error) {
    block.append(el('div', {class: 'err', text: s.error + (s.cause ? ': ' + s.cause : '')}));
  }
  // One line per failed attempt when there were retries; a single attempt's
  // error is the state's, shown above.
  for (const [n, a] of (s.attempts || []).entries()) {
    if (a.error && s.attempts.length > 1) {
      block.append(el('div', {class: 'err', text: `attempt ${n + 1}: ${a.error}` +
        (a.cause ? ' — ' + a.cause : '')}));
    }
  }
  block.append(details(i + 'in', 'input', s.input, openBefore));
  if (s.output) block.append(details(i + 'out', 'output', s.output, openBefore));
  return block;
}

function details(key, label, value, openBefore) {
  return el('details', {'data-k': key, open: openBefore.has(key)},
    el('summary', {text: label}),
    el('pre', {text: JSON.stringify(value, null, 2)}));
}

// ---- metrics --------------------------------------------------------------------------

async function loadMetrics(run) {
  const r = await api(run ? 'POST' : 'GET', run ? '/dev/metrics/run' : '/dev/metrics');
  if (!r.data) return;
  if (!r.ok) {
    $('#metrics-status').textContent = apiMessage(r);
    return;
  }
  const m = r.data;
  const when = m.every === '0s' ? 'measured on request only' : `measured every ${m.every}`;
  $('#metrics-status').textContent = `Namespace ${m.namespace}, ${when}` +
    (m.lastRun ? `; last run ${new Date(m.lastRun).toLocaleTimeString()}` : '; not run yet') +
    (m.lastError ? ` — error: ${m.lastError}` : '');
  const rows = new Map();
  for (const f of m.figures) {
    const key = f.bucket + '\0' + (f.prefix || '');
    const row = rows.get(key) || {bucket: f.bucket, prefix: f.prefix || '(all)'};
    if (f.metric === 'NumberOfObjects') row.objects = f.value;
    if (f.metric === 'BucketSizeBytes') row.bytes = f.value;
    row.at = f.timestamp;
    rows.set(key, row);
  }
  $('#metrics-table tbody').replaceChildren(...[...rows.values()].map((row) =>
    el('tr', {'data-bucket': row.bucket, 'data-prefix': row.prefix},
      el('td', {text: row.bucket}), el('td', {text: row.prefix}),
      el('td', {class: 'objects', text: String(row.objects ?? '')}),
      el('td', {text: row.bytes === undefined ? '' : formatBytes(row.bytes)}),
      el('td', {text: new Date(row.at).toLocaleTimeString()}))));
}

// ---- views ------------------------------------------------------------------------------

function render() {
  const signedIn = !!state.session;
  $('#signin-view').hidden = signedIn;
  $('#nav').hidden = !signedIn;
  $('#who').hidden = !signedIn;
  const view = (location.hash || '#images').slice(1);
  state.view = ['images', 'executions', 'metrics'].includes(view) ? view : 'images';
  for (const v of ['images', 'executions', 'metrics']) {
    $('#' + v + '-view').hidden = !signedIn || v !== state.view;
  }
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.dataset.view === state.view);
  }
  if (signedIn) $('#who-name').textContent = state.session.username;
}

// refresh polls what the current view shows.
async function refresh() {
  if (!state.session) return;
  try {
    await pollImages();
    if (state.view === 'executions') await loadExecutions();
    if (state.view === 'metrics') await loadMetrics(false);
  } catch (e) {
    if (e.message !== 'unauthorized') console.warn(e);
  }
}

function startPolling() {
  clearInterval(state.timer);
  state.timer = setInterval(refresh, POLL_MS);
}

async function enter() {
  render();
  await loadImages();
  await refresh();
  startPolling();
}

document.addEventListener('DOMContentLoaded', () => {
  $('#signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('#signin-error').textContent = '';
    try {
      await signIn($('#username').value.trim());
      await enter();
    } catch (e) {
      $('#signin-error').textContent = e.message;
    }
  });
  $('#sign-out').addEventListener('click', () => signOut());
  $('#files').addEventListener('change', async (ev) => {
    const files = [...ev.target.files];
    ev.target.value = '';
    await uploadFiles(files);
  });
  $('#exec-status').addEventListener('change', refresh);
  $('#metrics-run').addEventListener('click', () => loadMetrics(true));
  window.addEventListener('hashchange', () => { render(); refresh(); });

  state.session = loadSession();
  if (state.session) enter(); else render();
});
