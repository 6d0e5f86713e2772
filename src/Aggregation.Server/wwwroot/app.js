// Provincial dashboard: figures of one unit (and its children) for a period, live over
// server-sent events (/api/stream), drill-down province → district → commune, a trend chart and
// reporting completeness. Vietnamese by default, English on demand.
'use strict';

const state = {
  lang: 'vi', programme: null, unit: null, ancestors: [], period: null, asOf: '', view: '',
  rollup: null, children: new Map(), selected: 'T1.1', trendBy: 'month', stream: null, chart: null,
};

const STATUS = {
  INDICATOR_STATUS_MET: ['met', 'Đạt', 'Met'],
  INDICATOR_STATUS_ON_TRACK: ['on-track', 'Đúng tiến độ', 'On track'],
  INDICATOR_STATUS_OFF_TRACK: ['off-track', 'Chưa đạt', 'Off track'],
  INDICATOR_STATUS_NO_DATA: ['no-data', 'Chưa có số liệu', 'No data'],
  INDICATOR_STATUS_NO_TARGET: ['no-target', 'Không đặt mục tiêu', 'No target'],
};

const $ = (sel) => document.querySelector(sel);
const tr = (vi, en) => (state.lang === 'vi' ? vi : en);
const name = (x) => (state.lang === 'vi' ? x.nameVi : (x.nameEn || x.nameVi));
const percent = (v) => `${(v * 100).toFixed(1)} %`;
const number = (v) => Number(v).toLocaleString(state.lang === 'vi' ? 'vi-VN' : 'en-GB');

// The access token arrives once in the address's fragment (#token=…, never sent to the server),
// then lives in this tab's session storage. The event stream cannot send headers, so it alone
// carries the token in its query string.
const TOKEN_KEY = 'aggregation.token';

function readToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function tokenClaims() {
  try {
    const payload = state.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

function showSignIn(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  $('#signin').hidden = false;
  $('#signin-message').textContent = message || '';
  $('main').hidden = true;
}

async function get(url) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${state.token}` } });
  if (response.status === 401) {
    showSignIn(tr('Mã truy cập không hợp lệ hoặc đã hết hạn.', 'The access token is invalid or has expired.'));
    throw new Error('401');
  }
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

function formatValue(i) {
  if (i.value === undefined || i.value === null) return '–';
  return i.denominator !== undefined && i.denominator !== null ? percent(i.value) : number(i.value);
}

function periodOptions(programme) {
  const first = Number(programme.firstPeriod.slice(0, 4));
  const last = Number(programme.lastPeriod.slice(0, 4));
  const options = [[`${first}-${last}`, tr('Cả giai đoạn', 'Whole plan') + ` ${first}–${last}`]];
  for (let y = last; y >= first; y--) {
    options.push([`${y}`, tr('Năm', 'Year') + ` ${y}`]);
    options.push([`${y}S2`, tr('6 tháng cuối năm', 'Second half') + ` ${y}`]);
    options.push([`${y}S1`, tr('6 tháng đầu năm', 'First half') + ` ${y}`]);
  }
  return options;
}

function renderStatic() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll('[data-vi]').forEach((el) => { el.textContent = tr(el.dataset.vi, el.dataset.en); });
  $('#lang').textContent = state.lang === 'vi' ? 'English' : 'Tiếng Việt';
  $('#programme-name').textContent = name(state.programme);
  const select = $('#period');
  const current = state.period;
  select.innerHTML = '';
  for (const [code, label] of periodOptions(state.programme)) {
    const option = new Option(label, code);
    select.add(option);
  }
  select.value = current;
  const crumbs = [...state.ancestors].reverse().filter((a) => a.code !== 'VN');
  const nav = $('#breadcrumb');
  nav.innerHTML = '';
  for (const a of crumbs) {
    const link = document.createElement('a');
    link.textContent = a.name;
    link.dataset.unit = a.code;
    link.addEventListener('click', () => go(a.code, lastDay(a)));
    nav.append(link);
    const sep = document.createElement('span');
    sep.className = 'sep';
    sep.textContent = '›';
    nav.append(sep);
  }
  nav.append(document.createTextNode(state.unit.name));
  $('#unit-name').textContent = state.unit.name;
}

function renderIndicators(flash) {
  const body = $('#indicators tbody');
  body.innerHTML = '';
  for (const i of state.rollup.indicators) {
    const [cls, vi, en] = STATUS[i.status] || STATUS.INDICATOR_STATUS_NO_DATA;
    const row = document.createElement('tr');
    row.dataset.indicator = i.indicatorId;
    if (i.indicatorId === state.selected) row.classList.add('selected');
    const fraction = i.denominator !== undefined && i.denominator !== null ? `${number(i.numerator)} / ${number(i.denominator)}` : (i.numerator !== undefined ? number(i.numerator) : '–');
    const target = i.target !== undefined && i.target !== null ? percent(i.target) : '–';
    row.innerHTML = `<td>${i.indicatorId}</td><td>${escape(name(i))}</td><td class="value">${formatValue(i)}</td>`
      + `<td class="num">${fraction}</td><td class="num">${target}</td><td><span class="status ${cls}">${tr(vi, en)}</span></td>`;
    if (flash) row.querySelector('.value').classList.add('flash');
    row.addEventListener('click', () => { state.selected = i.indicatorId; renderIndicators(false); loadTrend(); });
    body.append(row);
  }
}

function renderCompleteness() {
  const body = $('#completeness tbody');
  body.innerHTML = '';
  for (const c of state.rollup.completeness) {
    const row = document.createElement('tr');
    row.dataset.dataSet = c.dataSet;
    const deadline = c.deadlineDays === undefined || c.deadlineDays === null ? '' : ` title="${tr('Hạn', 'Due')}: +${c.deadlineDays} ${tr('ngày', 'days')}"`;
    row.innerHTML = `<td>${escape(name(c))}</td><td class="num">${number(c.reported)}</td><td class="num on-time"${deadline}>${number(c.onTime)}</td><td class="num">${number(c.expected)}</td>`;
    body.append(row);
  }
}

function renderChildren() {
  const section = $('#children-section');
  const children = [...state.children.values()];
  section.hidden = children.length === 0;
  if (children.length === 0) return;
  const ids = state.rollup.indicators.map((i) => i.indicatorId);
  $('#children thead').innerHTML = `<tr><th>${tr('Đơn vị', 'Unit')}</th>${ids.map((id) => `<th>${id}</th>`).join('')}<th>${tr('Đã báo cáo', 'Reported')}</th></tr>`;
  const body = $('#children tbody');
  body.innerHTML = '';
  for (const child of children.sort((a, b) => a.unit.code.localeCompare(b.unit.code))) {
    const row = document.createElement('tr');
    row.dataset.unit = child.unit.code;
    const byId = new Map(child.indicators.map((i) => [i.indicatorId, i]));
    const cells = ids.map((id) => {
      const i = byId.get(id);
      if (!i) return '<td></td>';
      const [cls] = STATUS[i.status] || STATUS.INDICATOR_STATUS_NO_DATA;
      return `<td class="value cell ${cls}">${formatValue(i)}</td>`;
    });
    const reported = child.completeness.filter((c) => Number(c.reported) > 0).length;
    row.innerHTML = `<td>${escape(child.unit.name)}</td>${cells.join('')}<td class="num">${reported}/${child.completeness.length}</td>`;
    // A child that no longer exists (a district, a commune merged on 1 July 2025) is opened as of its
    // last day: its code may name another unit today.
    row.addEventListener('click', () => go(child.unit.code, lastDay(child.unit)));
    body.append(row);
  }
}

function trendPeriods() {
  const p = state.period;
  const year = /^\d{4}$/.test(p) ? Number(p) : /^\d{4}S\d$/.test(p) ? Number(p.slice(0, 4)) : null;
  if (year === null) {
    const first = Number(state.programme.firstPeriod.slice(0, 4));
    const last = Number(state.programme.lastPeriod.slice(0, 4));
    return Array.from({ length: last - first + 1 }, (_, k) => `${first + k}`);
  }
  return state.trendBy === 'quarter'
    ? [1, 2, 3, 4].map((q) => `${year}Q${q}`)
    : Array.from({ length: 12 }, (_, m) => `${year}-${String(m + 1).padStart(2, '0')}`);
}

async function loadTrend() {
  const periods = trendPeriods();
  $('#trend-indicator').textContent = state.selected;
  const data = await get(`/api/trend?unit=${state.unit.code}&periods=${periods.join(',')}${state.asOf ? `&asOf=${state.asOf}` : ''}`);
  const values = data.rollups.map((r) => {
    const i = r.indicators.find((x) => x.indicatorId === state.selected);
    if (!i || i.value === undefined || i.value === null) return null;
    return i.denominator !== undefined && i.denominator !== null ? i.value * 100 : i.value;
  });
  const indicator = state.rollup.indicators.find((x) => x.indicatorId === state.selected);
  const target = indicator && indicator.target !== undefined && indicator.target !== null ? indicator.target * 100 : null;
  const datasets = [{ label: `${state.selected} ${indicator ? name(indicator) : ''}`, data: values, borderColor: '#319795', backgroundColor: '#81e6d9', spanGaps: true }];
  if (target !== null) datasets.push({ label: tr('Mục tiêu', 'Target'), data: periods.map(() => target), borderColor: '#c53030', borderDash: [6, 4], pointRadius: 0 });
  if (state.chart) state.chart.destroy();
  state.chart = new Chart($('#trend'), {
    type: 'line',
    data: { labels: periods, datasets },
    options: { animation: false, scales: { y: { beginAtZero: true } }, plugins: { legend: { labels: { boxWidth: 12 } } } },
  });
}

function applyRollups(rollups, flash) {
  for (const r of rollups) {
    if (r.period !== state.period) continue;
    if (r.unit.code === state.unit.code) state.rollup = r;
    else state.children.set(r.unit.code, r);
  }
  renderIndicators(flash);
  renderCompleteness();
  renderChildren();
  $('#updated').textContent = new Date().toLocaleTimeString(state.lang === 'vi' ? 'vi-VN' : 'en-GB');
}

function openStream() {
  if (state.stream) state.stream.close();
  state.stream = null;
  if (state.view === 'restated') {
    $('#live').classList.remove('on');
    return;
  }
  // The live stream follows the figures as they happened; the restated view is read on demand.
  const stream = new EventSource(`/api/stream?unit=${state.unit.code}&period=${state.period}&children=true${state.asOf ? `&asOf=${state.asOf}` : ''}&access_token=${encodeURIComponent(state.token)}`);
  stream.addEventListener('open', () => $('#live').classList.add('on'));
  stream.addEventListener('error', () => $('#live').classList.remove('on'));
  stream.addEventListener('snapshot', (e) => applyRollups(JSON.parse(e.data).rollups, false));
  stream.addEventListener('update', (e) => { applyRollups(JSON.parse(e.data).rollups, true); loadTrend(); });
  state.stream = stream;
}

function lastDay(unit) {
  if (!unit.validTo) return '';
  const day = new Date(`${unit.validTo}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 1);
  return day.toISOString().slice(0, 10);
}

async function go(code, asOf) {
  state.asOf = asOf || '';
  const at = state.asOf ? `&asOf=${state.asOf}` : '';
  const unit = await get(`/api/unit/${code}?${at.slice(1)}`);
  state.unit = unit.unit;
  state.ancestors = unit.ancestors;
  state.children = new Map();
  const rollup = await get(`/api/rollup?unit=${code}&period=${state.period}&children=true${at}${state.view ? `&view=${state.view}` : ''}`);
  state.rollup = rollup.rollup;
  for (const c of rollup.children) state.children.set(c.unit.code, c);
  $('#method').textContent = state.rollup.method || '';
  history.replaceState(null, '', `?unit=${code}&period=${state.period}${at}${state.view ? `&view=${state.view}` : ''}`);
  renderStatic();
  applyRollups([], false);
  openStream();
  await loadTrend();
}

function escape(text) {
  const div = document.createElement('div');
  div.textContent = text;
  return div.innerHTML;
}

async function start() {
  const params = new URLSearchParams(location.search);
  $('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('#signin-token').value.trim());
    location.reload();
  });
  state.token = readToken();
  if (!state.token) {
    showSignIn('');
    return;
  }
  // A scoped credential opens on its own unit; the whole tenant opens on the first province.
  const units = [].concat(tokenClaims().unit || []);
  state.programme = (await get('/api/programme')).programmes[0];
  const root = await get('/api/unit/VN');
  state.period = params.get('period') || state.programme.lastPeriod.slice(0, 4);
  $('#period').addEventListener('change', (e) => { state.period = e.target.value; go(state.unit.code, state.asOf); });
  state.view = params.get('view') || '';
  $('#view').value = state.view;
  $('#view').addEventListener('change', (e) => { state.view = e.target.value; go(state.unit.code, state.asOf); });
  $('#lang').addEventListener('click', () => { state.lang = state.lang === 'vi' ? 'en' : 'vi'; renderStatic(); applyRollups([], false); loadTrend(); });
  document.querySelectorAll('input[name="trend-by"]').forEach((r) => r.addEventListener('change', (e) => { state.trendBy = e.target.value; loadTrend(); }));
  await go(params.get('unit') || units[0] || root.children[0].code, params.get('asOf') || '');
}

start().catch((error) => { if (error.message === '401') return; document.body.insertAdjacentHTML('afterbegin', `<p class="error">${escape(String(error))}</p>`); });
