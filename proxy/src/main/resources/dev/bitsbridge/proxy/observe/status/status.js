// The bitsbridge status page: polls /_bitsbridge/status.json every second and redraws.
// Everything from the server is inserted as text (never as HTML): keys and user agents are
// client-controlled.
'use strict';

(function () {
  const POLL_MS = 1000;
  const last = new Map(); // transfer id -> {bytes, at}: the rate shown is over the last poll

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function bytes(n) {
    if (n < 0) return '?';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }

  function duration(ms) {
    const s = Math.floor(ms / 1000);
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  }

  function activeRow(t, now) {
    const tr = el('tr');
    tr.dataset.id = t.id;
    tr.dataset.path = t.path;
    tr.appendChild(el('td', t.method === 'GET' ? t.path : t.method + ' ' + t.path, 'key'));
    tr.appendChild(el('td', t.client));
    const cell = el('td');
    const bar = el('progress');
    if (t.total > 0) {
      bar.max = t.total;
      bar.value = t.bytes;
    } // no total yet: an indeterminate bar
    cell.appendChild(bar);
    tr.appendChild(cell);
    const pct = t.total > 0 ? ' (' + Math.floor((t.bytes * 100) / t.total) + '%)' : '';
    tr.appendChild(el('td', bytes(t.bytes) + ' of ' + (t.total >= 0 ? bytes(t.total) : '?') + pct, 'done'));
    const prev = last.get(t.id);
    let rate = t.bytes_per_second;
    if (prev && now > prev.at) rate = Math.max(0, ((t.bytes - prev.bytes) * 1000) / (now - prev.at));
    last.set(t.id, { bytes: t.bytes, at: now });
    tr.appendChild(el('td', bytes(Math.round(rate)) + '/s', 'rate'));
    tr.appendChild(el('td', duration(t.age_ms), 'age'));
    tr.appendChild(el('td', t.upstream_connections > 0 ? String(t.upstream_connections) : '–', 'upstream'));
    const hit = t.cache && t.cache.hit_ratio !== null ? Math.floor(t.cache.hit_ratio * 100) + '% hit' : '–';
    tr.appendChild(el('td', hit, 'cache'));
    return tr;
  }

  function errorRow(e) {
    const tr = el('tr', null, 'bad');
    tr.appendChild(el('td', new Date(e.time).toLocaleTimeString()));
    tr.appendChild(el('td', e.method + ' ' + e.path, 'key'));
    tr.appendChild(el('td', e.client));
    tr.appendChild(el('td', e.status || '–', 'status'));
    tr.appendChild(el('td', e.note || ''));
    return tr;
  }

  function render(s) {
    const now = Date.now();
    document.getElementById('version').textContent = 'version ' + s.version;
    document.getElementById('t-active').textContent = s.totals.active;
    document.getElementById('t-requests').textContent = s.totals.requests;
    document.getElementById('t-failed').textContent = s.totals.failed;
    document.getElementById('t-sent').textContent = bytes(s.totals.bytes_sent);
    document.getElementById('t-uptime').textContent = duration(s.uptime_seconds * 1000);

    const body = document.querySelector('#active tbody');
    body.replaceChildren(...s.active.map((t) => activeRow(t, now)));
    const live = new Set(s.active.map((t) => t.id));
    for (const id of last.keys()) if (!live.has(id)) last.delete(id);
    empty('no-active', 'No transfers in progress.', s.active.length > 0);

    document.querySelector('#errors tbody').replaceChildren(...s.recent_errors.map(errorRow));
    empty('no-errors', 'No errors.', s.recent_errors.length > 0);
  }

  // The "nothing here" line: "Loading…" in the page until the first answer, so a page still
  // loading (or refused) never claims that nothing is going on.
  function empty(id, text, hide) {
    const p = document.getElementById(id);
    p.textContent = text;
    p.hidden = hide;
    p.dataset.loaded = 'yes';
  }

  function unavailable(why) {
    for (const id of ['no-active', 'no-errors']) {
      const p = document.getElementById(id);
      if (!p.dataset.loaded) {
        p.textContent = 'Not known yet: ' + why + '.';
      }
    }
  }

  // status.json needs the admin token. It is given once in the address's fragment
  // (/_bitsbridge/#token=...): a fragment is never sent to the server, so it reaches no log. It is
  // then kept in this tab's sessionStorage and removed from the address bar.
  function adminToken() {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem('bitsbridge-admin', decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname);
    }
    return sessionStorage.getItem('bitsbridge-admin');
  }
  const token = adminToken();

  async function poll() {
    const conn = document.getElementById('conn');
    try {
      const headers = token ? { 'Authorization': 'Bearer ' + token } : {};
      const r = await fetch('/_bitsbridge/status.json', { cache: 'no-store', headers });
      if (r.status === 401 || r.status === 403) {
        conn.textContent = 'open this page as /_bitsbridge/#token=<contents of <state-dir>/admin-token>';
        conn.classList.add('down');
        unavailable('the page has no admin token');
        return;
      }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      render(await r.json());
      conn.textContent = 'live';
      conn.classList.remove('down');
    } catch (e) {
      conn.textContent = 'proxy unreachable (' + e.message + '), retrying';
      conn.classList.add('down');
      unavailable('the proxy does not answer');
    }
    setTimeout(poll, POLL_MS);
  }

  poll();
})();
