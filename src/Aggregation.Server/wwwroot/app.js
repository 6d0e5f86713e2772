// Provincial dashboard: figures of one unit (and its children) for a period, live over
// server-sent events (/api/stream), drill-down province → district → commune, a trend chart and
// reporting completeness. Vietnamese by default, English with ?lang=en or the language button; every
// number, date and message follows the page's language.
'use strict';

const state = {
  lang: 'vi', programme: null, unit: null, ancestors: [], period: null, asOf: '', view: '', scope: [],
  rollup: null, children: new Map(), selected: 'T1.1', trendBy: 'month', stream: null, chart: null, trend: null,
};

// [css class, Vietnamese, English, symbol]: the status is always written, never shown by colour alone.
const STATUS = {
  INDICATOR_STATUS_MET: ['met', 'Đạt', 'Met', '✓'],
  INDICATOR_STATUS_ON_TRACK: ['on-track', 'Đúng tiến độ', 'On track', '↗'],
  INDICATOR_STATUS_OFF_TRACK: ['off-track', 'Chưa đạt', 'Off track', '✗'],
  INDICATOR_STATUS_NO_DATA: ['no-data', 'Chưa có số liệu', 'No data', '–'],
  INDICATOR_STATUS_NO_TARGET: ['no-target', 'Không đặt mục tiêu', 'No target', '·'],
  // A rate above 100 % (more workers reached than employed) is a data problem, whatever the target says.
  INDICATOR_STATUS_DATA_TO_CHECK: ['data-check', 'Số liệu cần kiểm tra', 'Data to check', '!'],
};
const DATA_CHECK = STATUS.INDICATOR_STATUS_DATA_TO_CHECK;

// Approval levels of UnitRollup.approvals, written out (never colour alone): [css class, Vietnamese, English, rank].
const APPROVAL = {
  APPROVAL_LEVEL_DISTRICT: ['district', 'Đã phê duyệt cấp huyện', 'Approved at district level', 1],
  APPROVAL_LEVEL_PROVINCE: ['province', 'Đã phê duyệt cấp tỉnh', 'Approved at province level', 2],
};
const PROVISIONAL = ['provisional', 'Tạm thời, chưa phê duyệt', 'Provisional, not approved', 0];
const approvalLevel = (a) => APPROVAL[a.level] || PROVISIONAL;

const $ = (sel) => document.querySelector(sel);
const tr = (vi, en) => (state.lang === 'vi' ? vi : en);
const name = (x) => (state.lang === 'vi' ? x.nameVi : (x.nameEn || x.nameVi));
const locale = () => (state.lang === 'vi' ? 'vi-VN' : 'en-GB');
const isRate = (i) => i.denominator !== undefined && i.denominator !== null;
const hasValue = (i) => i.value !== undefined && i.value !== null;
// Vietnamese: `.` groups thousands and `,` marks decimals (3.500 and 4,7 %); English the reverse.
const number = (v) => new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(Number(v));
const percent = (v) => `${new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(v * 100)}\u00a0%`;

function statusOf(i) {
  return STATUS[i.status] || STATUS.INDICATOR_STATUS_NO_DATA;
}

function statusTitle(status) {
  return status === DATA_CHECK
    ? tr('Tử số lớn hơn mẫu số: một tỷ lệ không thể vượt 100 %. Cần kiểm tra lại số liệu đã báo cáo.', 'The numerator exceeds the denominator: a rate cannot be above 100 %. The reported figures need checking.')
    : '';
}

/** A time as the officers read it: the date, the time and the zone, in Vietnam time. */
function vietnamTime(iso) {
  return `${vietnamClock(iso)} ${tr('(giờ Việt Nam, UTC+7)', '(Vietnam time, UTC+7)')}`;
}

/** An answer of the API other than 2xx: the page turns it into a sentence, never shows its body. */
class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}`);
    this.status = status;
    this.detail = detail;
  }
}

async function get(url) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${state.token}` } });
  if (response.status === 401) {
    showSignIn(tr('Mã truy cập không hợp lệ hoặc đã hết hạn.', 'The access token is invalid or has expired.'));
    throw new ApiError(401, '');
  }
  if (!response.ok) {
    let detail = '';
    try { detail = (await response.json()).error || ''; } catch { /* not JSON: nothing more to say */ }
    throw new ApiError(response.status, detail);
  }
  return response.json();
}

/** Shows a sentence in the page's language above the figures (role=alert); empty hides it. */
function showMessage(text) {
  const box = $('#message');
  box.textContent = text || '';
  box.hidden = !text;
}

function errorSentence(error) {
  if (!(error instanceof ApiError)) return tr('Đã xảy ra lỗi khi hiển thị trang. Vui lòng tải lại trang.', 'Something went wrong while showing the page. Please reload it.');
  switch (error.status) {
    case 403: return tr('Bạn không có quyền xem đơn vị này.', 'You are not allowed to open this unit.');
    case 404: return tr('Không tìm thấy đơn vị này.', 'This unit was not found.');
    case 400: return tr('Địa chỉ trang có tham số không hợp lệ (kỳ báo cáo, đơn vị hoặc ngày).', 'The page address has an invalid setting (period, unit or date).');
    case 429: return tr('Máy chủ đang bận. Vui lòng thử lại sau ít phút.', 'The server is busy. Please try again in a few minutes.');
    case 503: return tr('Cơ sở dữ liệu tạm thời không truy cập được. Vui lòng thử lại sau ít phút.', 'The database is temporarily unavailable. Please try again in a few minutes.');
    default: return tr('Không đọc được số liệu từ máy chủ. Vui lòng thử lại.', 'The figures could not be read from the server. Please try again.');
  }
}

function formatValue(i) {
  if (!hasValue(i)) return '–';
  return isRate(i) ? percent(i.value) : number(i.value);
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

function periodLabel(code) {
  const found = periodOptions(state.programme).find(([c]) => c === code);
  return found ? found[1] : code;
}

/** Whether the viewer may open a unit: its credential names it or one of its ancestors (or no unit at all). */
function mayOpen(code, ancestorsAbove) {
  if (state.scope.length === 0) return true;
  return state.scope.includes(code) || ancestorsAbove.some((a) => state.scope.includes(a.code));
}

function address(code, asOf) {
  const params = new URLSearchParams({ unit: code, period: state.period });
  if (asOf) params.set('asOf', asOf);
  if (state.view) params.set('view', state.view);
  if (state.lang !== 'vi') params.set('lang', state.lang);
  return `?${params}`;
}

function renderStatic() {
  document.documentElement.lang = state.lang;
  document.title = tr('Giám sát chỉ tiêu phòng, chống mại dâm', 'Monitoring the prostitution prevention targets');
  document.querySelectorAll('[data-vi]').forEach((el) => { el.textContent = tr(el.dataset.vi, el.dataset.en); });
  document.querySelectorAll('[data-vi-label]').forEach((el) => { el.setAttribute('aria-label', tr(el.dataset.viLabel, el.dataset.enLabel)); });
  $('#lang').textContent = state.lang === 'vi' ? 'English' : 'Tiếng Việt';
  $('#lang').lang = state.lang === 'vi' ? 'en' : 'vi';
  $('#programme-name').textContent = name(state.programme);
  const select = $('#period');
  select.innerHTML = '';
  const options = periodOptions(state.programme);
  if (!options.some(([c]) => c === state.period)) options.push([state.period, state.period]);
  for (const [code, label] of options) select.add(new Option(label, code));
  select.value = state.period;
  // The breadcrumb links only to the units this viewer may open; the others are plain text.
  const crumbs = [...state.ancestors].reverse().filter((a) => a.code !== 'VN');
  const list = $('#breadcrumb ol');
  list.innerHTML = '';
  crumbs.forEach((a, k) => {
    const item = document.createElement('li');
    if (mayOpen(a.code, crumbs.slice(0, k))) {
      const link = document.createElement('a');
      link.textContent = a.name;
      link.dataset.unit = a.code;
      link.href = address(a.code, lastDay(a));
      link.addEventListener('click', (e) => { e.preventDefault(); navigate(a.code, lastDay(a)); });
      item.append(link);
    } else {
      const text = document.createElement('span');
      text.textContent = a.name;
      text.dataset.unit = a.code;
      item.append(text);
    }
    list.append(item);
  });
  const current = document.createElement('li');
  current.setAttribute('aria-current', 'page');
  current.textContent = state.unit.name;
  list.append(current);
  $('#unit-name').textContent = state.unit.name;
}

function renderIndicators(flash) {
  const body = $('#indicators tbody');
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.indicator : undefined;
  body.innerHTML = '';
  for (const i of state.rollup.indicators) {
    const status = statusOf(i);
    const row = document.createElement('tr');
    row.dataset.indicator = i.indicatorId;
    row.tabIndex = 0;
    if (i.indicatorId === state.selected) {
      row.classList.add('selected');
      row.setAttribute('aria-current', 'true');
    }
    const fraction = isRate(i) ? `${number(i.numerator)} / ${number(i.denominator)}` : (i.numerator !== undefined ? number(i.numerator) : '–');
    const target = i.target !== undefined && i.target !== null ? percent(i.target) : '–';
    const title = statusTitle(status);
    row.innerHTML = `<th scope="row" class="id">${i.indicatorId}</th><td class="name">${escape(name(i))}</td><td class="value" data-label="${tr('Đạt', 'Value')}">${formatValue(i)}</td>`
      + `<td class="num fraction" data-label="${tr('Tử số / mẫu số', 'Numerator / denominator')}">${fraction}</td><td class="num target" data-label="${tr('Mục tiêu', 'Target')}">${target}</td>`
      + `<td class="status-cell"><span class="status ${status[0]}"${title ? ` title="${escape(title)}"` : ''}><span aria-hidden="true">${status[3]}</span> ${tr(status[1], status[2])}</span></td>`;
    if (flash) row.querySelector('.value').classList.add('flash');
    const select = () => { state.selected = i.indicatorId; renderIndicators(false); body.querySelector(`tr[data-indicator="${i.indicatorId}"]`).focus(); loadTrend().catch(report); };
    row.addEventListener('click', select);
    row.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(); } });
    body.append(row);
  }
  if (focused) body.querySelector(`tr[data-indicator="${focused}"]`)?.focus();
}

function renderCompleteness() {
  const body = $('#completeness tbody');
  body.innerHTML = '';
  for (const c of state.rollup.completeness) {
    const row = document.createElement('tr');
    row.dataset.dataSet = c.dataSet;
    const deadline = c.deadlineDays === undefined || c.deadlineDays === null ? '' : ` title="${tr('Hạn', 'Due')}: +${number(c.deadlineDays)} ${tr('ngày', 'days')}"`;
    row.innerHTML = `<td>${escape(name(c))}</td><td class="num">${number(c.reported)}</td><td class="num on-time"${deadline}>${number(c.onTime)}</td><td class="num">${number(c.expected)}</td>`;
    body.append(row);
  }
}

const hasReports = (child) => child.completeness.some((c) => Number(c.reported) > 0);

/** The children as the table shows them: those with reports in the period first, each group by code. */
function orderedChildren() {
  const children = [...state.children.values()].sort((a, b) => a.unit.code.localeCompare(b.unit.code));
  return [...children.filter(hasReports), ...children.filter((c) => !hasReports(c))];
}

function renderChildren() {
  const section = $('#children-section');
  const children = orderedChildren();
  section.hidden = children.length === 0;
  if (children.length === 0) return;
  const ids = state.rollup.indicators.map((i) => i.indicatorId);
  $('#children thead').innerHTML = `<tr><th scope="col">${tr('Đơn vị', 'Unit')}</th>${ids.map((id) => `<th scope="col">${id}</th>`).join('')}<th scope="col">${tr('Đã báo cáo', 'Reported')}</th><th scope="col">${tr('Phê duyệt', 'Approval')}</th></tr>`;
  const body = $('#children tbody');
  const focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest('#children tr[data-unit]')?.dataset.unit : undefined;
  body.innerHTML = '';
  const withReports = children.filter(hasReports).length;
  const group = (text, cls) => {
    const row = document.createElement('tr');
    row.className = `group ${cls}`;
    row.innerHTML = `<th scope="rowgroup" colspan="${ids.length + 3}">${escape(text)}</th>`;
    body.append(row);
  };
  children.forEach((child, k) => {
    if (k === 0 && withReports > 0) group(`${tr('Có báo cáo trong kỳ', 'With reports in the period')} (${number(withReports)})`, 'with-reports');
    if (k === withReports) group(`${tr('Chưa có báo cáo trong kỳ', 'No report in the period')} (${number(children.length - withReports)})`, 'without-reports');
    const row = document.createElement('tr');
    row.dataset.unit = child.unit.code;
    row.tabIndex = 0;
    const byId = new Map(child.indicators.map((i) => [i.indicatorId, i]));
    const cells = ids.map((id) => {
      const i = byId.get(id);
      if (!i) return '<td></td>';
      const status = statusOf(i);
      return `<td class="value cell ${status[0]}" title="${escape(tr(status[1], status[2]))}">${formatValue(i)} <span class="mark" aria-hidden="true">${status[3]}</span><span class="visually-hidden">${escape(tr(status[1], status[2]))}</span></td>`;
    });
    const reported = child.completeness.filter((c) => Number(c.reported) > 0).length;
    row.innerHTML = `<th scope="row">${escape(child.unit.name)}</th>${cells.join('')}<td class="num">${number(reported)}/${number(child.completeness.length)}</td><td class="approval-cell">${approvalSummary(child)}</td>`;
    // A child that no longer exists (a district, a commune merged on 1 July 2025) is opened as of its
    // last day: its code may name another unit today.
    const open = () => navigate(child.unit.code, lastDay(child.unit));
    row.addEventListener('click', open);
    row.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); open(); } });
    body.append(row);
  });
  if (focused) body.querySelector(`tr[data-unit="${focused}"]`)?.focus();
}

/**
 * A unit's approval state over its data sets in one phrase: one level when all agree, otherwise each
 * level with how many of the unit's data sets hold it ("Approved at district level 2/3; Provisional 1/3").
 */
function approvalText(rollup) {
  const approvals = reportedApprovals(rollup);
  if (approvals.length === 0) return tr('Chưa có số liệu', 'No data');
  const counts = new Map();
  for (const a of approvals) {
    const level = approvalLevel(a);
    counts.set(level, (counts.get(level) || 0) + 1);
  }
  const levels = [...counts.entries()].sort(([a], [b]) => b[3] - a[3]);
  if (levels.length === 1) return tr(levels[0][0][1], levels[0][0][2]);
  return levels.map(([level, n]) => `${tr(level[1], level[2])} ${number(n)}/${number(approvals.length)}`).join('; ');
}

function approvalSummary(rollup) {
  const approvals = reportedApprovals(rollup);
  const lowest = approvals.length === 0 ? ['no-data'] : approvals.map(approvalLevel).sort((a, b) => a[3] - b[3])[0];
  return `<span class="approval ${lowest[0]}">${escape(approvalText(rollup))}</span>`;
}

/** The approval states of the data sets with reports in the period: the others have nothing to approve. */
function reportedApprovals(rollup) {
  const reported = new Set((rollup.completeness || []).filter((c) => Number(c.reported) > 0).map((c) => c.dataSet));
  return (rollup.approvals || []).filter((a) => reported.has(a.dataSet));
}

/** The opened unit's state per data set: provisional, or approved at a level, by whom and when. */
function renderApprovalState() {
  const list = $('#approval-state ul');
  list.innerHTML = '';
  const dataSets = new Map(state.programme.dataSets.map((d) => [d.id, d]));
  for (const a of reportedApprovals(state.rollup)) {
    const level = approvalLevel(a);
    const item = document.createElement('li');
    item.dataset.dataSet = a.dataSet;
    item.dataset.state = level[0];
    const by = level === PROVISIONAL ? '' : ` (${escape(a.approvedBy)}, ${escape(vietnamTime(a.approvedAt))})`;
    item.innerHTML = `${escape(dataSets.has(a.dataSet) ? name(dataSets.get(a.dataSet)) : a.dataSet)}: <span class="approval ${level[0]}">${escape(tr(level[1], level[2]))}</span>${by}`;
    list.append(item);
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

// Paints the chart's background white, so the downloaded PNG reads on paper and in documents.
const whiteBackground = {
  id: 'whiteBackground',
  beforeDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

async function loadTrend() {
  const periods = trendPeriods();
  $('#trend-indicator').textContent = state.selected;
  const data = await get(`/api/trend?unit=${state.unit.code}&periods=${periods.join(',')}${state.asOf ? `&asOf=${state.asOf}` : ''}`);
  const indicator = state.rollup.indicators.find((x) => x.indicatorId === state.selected);
  const rate = indicator ? isRate(indicator) : true;
  const points = data.rollups.map((r) => r.indicators.find((x) => x.indicatorId === state.selected) || null);
  const values = points.map((i) => (i && hasValue(i) ? (isRate(i) ? i.value * 100 : Number(i.value)) : null));
  const target = indicator && indicator.target !== undefined && indicator.target !== null ? indicator.target * 100 : null;
  state.trend = { periods, points, target };
  const datasets = [{ label: `${state.selected} ${indicator ? name(indicator) : ''}`, data: values, borderColor: '#2c7a7b', backgroundColor: '#81e6d9', spanGaps: true }];
  if (target !== null) datasets.push({ label: tr('Mục tiêu', 'Target'), data: periods.map(() => target), borderColor: '#c53030', borderDash: [6, 4], pointRadius: 0 });
  if (state.chart) state.chart.destroy();
  const tick = (v) => (rate ? `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(v)}\u00a0%` : number(v));
  state.chart = new Chart($('#trend'), {
    type: 'line',
    data: { labels: periods, datasets },
    plugins: [whiteBackground],
    options: {
      animation: false,
      locale: locale(),
      scales: { y: { beginAtZero: true, ticks: { callback: tick } } },
      plugins: {
        legend: { labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y === null ? '–' : tick(c.parsed.y)}` } },
      },
    },
  });
  $('#trend').setAttribute('aria-label', `${tr('Biểu đồ xu hướng của chỉ tiêu', 'Trend chart of target')} ${state.selected}; ${tr('các giá trị có trong bảng số liệu bên dưới', 'the values are in the table below')}`);
  renderTrendTable();
}

/** The chart's text alternative: the same values as a table. */
function renderTrendTable() {
  const { periods, points, target } = state.trend;
  $('#trend-table caption').textContent = `${tr('Số liệu của biểu đồ', 'Values of the chart')}: ${state.selected}`;
  const body = $('#trend-table tbody');
  body.innerHTML = '';
  periods.forEach((p, k) => {
    const i = points[k];
    const row = document.createElement('tr');
    const status = i ? statusOf(i) : STATUS.INDICATOR_STATUS_NO_DATA;
    row.innerHTML = `<th scope="row">${p}</th><td class="num">${i ? formatValue(i) : '–'}</td><td class="num">${target === null ? '–' : percent(target / 100)}</td><td>${tr(status[1], status[2])}</td>`;
    body.append(row);
  });
}

// ----- Downloads -----------------------------------------------------------------------------
// CSV for Excel: UTF-8 with a byte-order mark (without it Excel reads the diacritics as Windows-1252).
// Excel splits a double-clicked CSV with the list separator of the computer's regional settings and
// reads numbers with its decimal mark, so the file follows the page's language: Vietnamese writes `;`
// between fields and `,` for decimals (Vietnamese Windows settings), English `,` and `.`. Numbers are
// written without thousands separators, so no figure can be read as another; percentages are written
// as numbers of percent (4,7 for 4.7 %) under a heading that says "%".

function csvNumber(v, digits) {
  if (v === undefined || v === null || v === '') return '';
  const text = digits === undefined ? String(Number(v)) : Number(v).toFixed(digits);
  return state.lang === 'vi' ? text.replace('.', ',') : text;
}

function csvText(rows) {
  const separator = state.lang === 'vi' ? ';' : ',';
  const quote = (cell) => {
    const text = String(cell ?? '');
    return text.includes(separator) || /["\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return '\ufeff' + rows.map((r) => r.map(quote).join(separator)).join('\r\n') + '\r\n';
}

function valueCells(i) {
  if (!i || !hasValue(i)) return ['', ''];
  return isRate(i) ? [csvNumber(i.value * 100, 1), '%'] : [csvNumber(i.value), ''];
}

function save(filename, href) {
  const link = document.createElement('a');
  link.href = href;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
}

function saveCsv(filename, rows) {
  const url = URL.createObjectURL(new Blob([csvText(rows)], { type: 'text/csv;charset=utf-8' }));
  save(filename, url);
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

const fileStem = () => `${state.unit.code}-${state.period}`;

function downloadIndicators() {
  const rows = [[tr('Chỉ tiêu', 'Target'), tr('Nội dung', 'Indicator'), tr('Giá trị', 'Value'), tr('Đơn vị tính', 'Unit'),
    tr('Tử số', 'Numerator'), tr('Mẫu số', 'Denominator'), tr('Mục tiêu (%)', 'Target value (%)'), tr('Đánh giá', 'Status')]];
  for (const i of state.rollup.indicators) {
    const status = statusOf(i);
    rows.push([i.indicatorId, name(i), ...valueCells(i), csvNumber(i.numerator), csvNumber(i.denominator),
      i.target !== undefined && i.target !== null ? csvNumber(i.target * 100, 1) : '', tr(status[1], status[2])]);
  }
  saveCsv(`${tr('chi-tieu', 'targets')}-${fileStem()}.csv`, rows);
}

function downloadChildren() {
  const ids = state.rollup.indicators.map((i) => i.indicatorId);
  const rows = [[tr('Mã', 'Code'), tr('Đơn vị', 'Unit'), tr('Có báo cáo trong kỳ', 'With reports in the period'),
    ...ids.flatMap((id) => [id, `${id} ${tr('đơn vị tính', 'unit')}`, `${id} ${tr('đánh giá', 'status')}`]),
    tr('Số loại báo cáo đã nộp', 'Report kinds received'), tr('Số loại báo cáo', 'Report kinds'), tr('Phê duyệt', 'Approval')]];
  for (const child of orderedChildren()) {
    const byId = new Map(child.indicators.map((i) => [i.indicatorId, i]));
    rows.push([child.unit.code, child.unit.name, hasReports(child) ? tr('Có', 'Yes') : tr('Không', 'No'),
      ...ids.flatMap((id) => {
        const i = byId.get(id);
        if (!i) return ['', '', ''];
        const status = statusOf(i);
        return [...valueCells(i), tr(status[1], status[2])];
      }),
      csvNumber(child.completeness.filter((c) => Number(c.reported) > 0).length), csvNumber(child.completeness.length), approvalText(child)]);
  }
  saveCsv(`${tr('don-vi', 'units')}-${fileStem()}.csv`, rows);
}

function downloadTrend() {
  save(`${tr('xu-huong', 'trend')}-${state.selected}-${fileStem()}.png`, state.chart.toBase64Image('image/png', 1));
}

// ----- Navigation ----------------------------------------------------------------------------

function applyRollups(rollups, flash) {
  for (const r of rollups) {
    if (r.period !== state.period) continue;
    if (r.unit.code === state.unit.code) state.rollup = r;
    else state.children.set(r.unit.code, r);
  }
  renderIndicators(flash);
  renderApprovalState();
  renderCompleteness();
  renderChildren();
  const times = [state.rollup, ...state.children.values()].map((r) => r.readAt).filter(Boolean).sort();
  const time = $('#updated');
  const latest = times.length > 0 ? times[times.length - 1] : new Date().toISOString();
  time.dateTime = latest;
  time.textContent = vietnamTime(latest);
}

function openStream() {
  if (state.stream) state.stream.close();
  state.stream = null;
  if (state.view === 'restated') {
    setLive(false);
    return;
  }
  // The live stream follows the figures as they happened; the restated view is read on demand.
  const stream = new EventSource(`/api/stream?unit=${state.unit.code}&period=${state.period}&children=true${state.asOf ? `&asOf=${state.asOf}` : ''}&access_token=${encodeURIComponent(state.token)}`);
  stream.addEventListener('open', () => setLive(true));
  stream.addEventListener('error', () => setLive(false));
  stream.addEventListener('snapshot', (e) => applyRollups(JSON.parse(e.data).rollups, false));
  stream.addEventListener('update', (e) => { applyRollups(JSON.parse(e.data).rollups, true); loadTrend().catch(report); });
  state.stream = stream;
}

function setLive(on) {
  const live = $('#live');
  live.classList.toggle('on', on);
  live.querySelector('.live-text').textContent = on ? tr('trực tiếp', 'live') : tr('không trực tiếp', 'not live');
  live.dataset.on = on ? 'true' : 'false';
}

function lastDay(unit) {
  if (!unit.validTo) return '';
  const day = new Date(`${unit.validTo}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 1);
  return day.toISOString().slice(0, 10);
}

// Navigations overlap when a person clicks faster than the server answers (a unit, then the
// history view): the last one asked for wins, and a change of setting applies to the unit being
// opened, not to the one still on the screen.
let navigation = 0;

/** Thrown in place of a superseded navigation's result or error: nothing to show. */
class Superseded extends Error {}

async function go(code, asOf) {
  const ticket = ++navigation;
  state.opening = { code, asOf: asOf || '' };
  const at = asOf ? `&asOf=${asOf}` : '';
  let unit;
  let rollup;
  try {
    unit = await get(`/api/unit/${encodeURIComponent(code)}?${at.slice(1)}`);
    rollup = await get(`/api/rollup?unit=${encodeURIComponent(code)}&period=${encodeURIComponent(state.period)}&children=true${at}${state.view ? `&view=${state.view}` : ''}&lang=${state.lang}`);
  } catch (error) {
    throw ticket === navigation ? error : new Superseded();
  }
  if (ticket !== navigation) throw new Superseded();
  state.opening = null;
  state.asOf = asOf || '';
  state.unit = unit.unit;
  state.ancestors = unit.ancestors;
  state.children = new Map();
  state.rollup = rollup.rollup;
  for (const c of rollup.children) state.children.set(c.unit.code, c);
  $('#method').textContent = state.rollup.method || '';
  history.replaceState(null, '', address(code, state.asOf));
  renderStatic();
  applyRollups([], false);
  openStream();
  await loadTrend();
}

/** Opens a unit on the user's request; a refusal is said in the page, the current view stays (false). */
async function navigate(code, asOf) {
  try {
    showMessage('');
    await go(code, asOf);
    return true;
  } catch (error) {
    if (error instanceof Superseded) return true;
    report(error);
    return false;
  }
}

/** Changes a setting of the view (period, history view, language) and reloads; puts it back when the load fails. */
async function change(key, value) {
  const previous = state[key];
  state[key] = value;
  const target = state.opening || { code: state.unit.code, asOf: state.asOf };
  if (!(await navigate(target.code, target.asOf))) {
    state[key] = previous;
    $('#period').value = state.period;
    $('#view').value = state.view;
  }
}

function report(error) {
  if (error instanceof Superseded || (error instanceof ApiError && error.status === 401)) return;
  showMessage(errorSentence(error));
}

function escape(text) {
  const div = document.createElement('div');
  div.textContent = text;
  return div.innerHTML.replace(/"/g, '&quot;');
}

async function start() {
  const params = new URLSearchParams(location.search);
  state.lang = params.get('lang') === 'en' ? 'en' : 'vi';
  document.documentElement.lang = state.lang;
  document.querySelectorAll('[data-vi]').forEach((el) => { el.textContent = tr(el.dataset.vi, el.dataset.en); });
  state.token = signedInToken();
  if (!state.token) return;
  // A scoped credential opens on its own unit and may open only its units and those below them;
  // the whole tenant opens on the first province.
  state.scope = [].concat(tokenClaims(state.token).unit || []);
  state.programme = (await get('/api/programme')).programmes[0];
  const defaults = await get('/api/defaults');
  const root = await get('/api/unit/VN');
  const home = state.scope[0] || root.children[0].code;
  state.view = params.get('view') === 'restated' ? 'restated' : '';
  $('#view').value = state.view;
  $('#period').addEventListener('change', (e) => change('period', e.target.value));
  $('#view').addEventListener('change', (e) => change('view', e.target.value));
  $('#lang').addEventListener('click', () => change('lang', state.lang === 'vi' ? 'en' : 'vi'));
  document.querySelectorAll('input[name="trend-by"]').forEach((r) => r.addEventListener('change', (e) => { state.trendBy = e.target.value; loadTrend().catch(report); }));
  $('#download-indicators').addEventListener('click', downloadIndicators);
  $('#download-children').addEventListener('click', downloadChildren);
  $('#download-trend').addEventListener('click', downloadTrend);
  // On paper the chart's values print as a table too.
  window.addEventListener('beforeprint', () => { const d = $('#trend-values'); d.dataset.wasOpen = String(d.open); d.open = true; });
  window.addEventListener('afterprint', () => { const d = $('#trend-values'); d.open = d.dataset.wasOpen === 'true'; });

  // Opens where the work is: the latest completed half-year, unless the address names a period.
  const asked = params.get('period');
  state.period = asked || defaults.period;
  const unit = params.get('unit') || home;
  try {
    await go(unit, params.get('asOf') || '');
    return;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    // Say what was wrong with the address, then show what the viewer may see.
    const problems = [];
    if (error.status === 400 && asked && !periodOptions(state.programme).some(([c]) => c === asked)) {
      problems.push(tr(`Kỳ báo cáo “${asked}” không có trong kế hoạch; trang hiển thị ${periodLabel(defaults.period)}.`,
        `The period “${asked}” is not in the plan; the page shows ${periodLabel(defaults.period)} instead.`));
      state.period = defaults.period;
    } else if (error.status === 403) {
      problems.push(tr(`Bạn không có quyền xem đơn vị “${unit}”; trang hiển thị đơn vị của bạn.`,
        `You are not allowed to open the unit “${unit}”; the page shows your own unit instead.`));
    } else if (error.status === 404) {
      problems.push(tr(`Không tìm thấy đơn vị “${unit}”; trang hiển thị đơn vị của bạn.`, `There is no unit “${unit}”; the page shows your own unit instead.`));
    } else {
      problems.push(errorSentence(error));
    }
    // A bad period is replaced and the unit asked for kept; any other refusal opens the viewer's own unit.
    const retry = state.period === asked ? home : unit;
    try {
      await go(retry, '');
    } catch (again) {
      if (!(again instanceof ApiError) || again.status === 401 || retry === home) throw again;
      await go(home, '');
    }
    showMessage(problems.join(' '));
  }
}

start().catch(report);
