// Review and approval: an approver picks a data set, a period (the six-monthly cycle first) and an
// area it covers, sees each unit below with its approval state and what needs a look before
// approving (/api/review), approves a unit or the whole area with a comment, and withdraws an
// approval with a reason (/api/approvals). Vietnamese by default, English with ?lang=en or the
// language button; every refusal is said as a sentence in the page's language.
'use strict';

const state = {
  lang: 'vi', token: '', scope: [], programme: null, dataSet: '', period: '', unit: '', areas: [],
  area: null, rows: [], approvals: new Map(), findings: [], areaOf: new Map(), decision: null,
};

const $ = (sel) => document.querySelector(sel);
const tr = (vi, en) => (state.lang === 'vi' ? vi : en);
const name = (x) => (state.lang === 'vi' ? x.nameVi : (x.nameEn || x.nameVi));
const locale = () => (state.lang === 'vi' ? 'vi-VN' : 'en-GB');
const number = (v) => new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(Number(v));

// The level an approval holds, as a sentence (never a colour alone). Missing or UNSPECIFIED: provisional.
const LEVELS = {
  APPROVAL_LEVEL_DISTRICT: ['district', 'Đã phê duyệt cấp huyện', 'Approved at district level', 1],
  APPROVAL_LEVEL_PROVINCE: ['province', 'Đã phê duyệt cấp tỉnh', 'Approved at province level', 2],
};
const PROVISIONAL = ['provisional', 'Tạm thời, chưa phê duyệt', 'Provisional, not approved', 0];
const levelOf = (approval) => (approval && LEVELS[approval.level]) || PROVISIONAL;

const KINDS = {
  FINDING_KIND_RULE_VIOLATION: ['Vi phạm quy tắc kiểm tra', 'Rule violation'],
  FINDING_KIND_OUTLIER: ['Giá trị khác thường so với các kỳ trước', 'Value far from its own history'],
  FINDING_KIND_MISSING_REPORT: ['Thiếu báo cáo', 'Missing report'],
  FINDING_KIND_LATE_REPORT: ['Báo cáo muộn', 'Late report'],
  FINDING_KIND_TARGET_HELD_BACK: ['Làm chậm việc đạt chỉ tiêu', 'Holding a target back'],
};

/** A time as the officers read it: the date, the time and the zone, in Vietnam time. */
function vietnamTime(iso) {
  return `${vietnamClock(iso)} ${tr('(giờ Việt Nam, UTC+7)', '(Vietnam time, UTC+7)')}`;
}

function escape(text) {
  const div = document.createElement('div');
  div.textContent = text ?? '';
  return div.innerHTML.replace(/"/g, '&quot;');
}

// ----- Sign-in and the API (as the dashboard: #token=… once, then this tab's session storage) -----

/** An answer other than 2xx: the server's sentence (English) and its field errors (both languages). */
class ApiError extends Error {
  constructor(status, detail, fields, vi, en) {
    super(`${status}`);
    this.status = status;
    this.detail = detail || '';
    this.fields = fields || [];
    this.vi = vi || '';
    this.en = en || '';
  }
}

// Field names of the approval requests as the English sentences start them.
const FIELD_EN = { comment: 'The comment', reason: 'The reason', period: 'The period', unit_code: 'The unit', level: 'The level', data_set: 'The data set' };

async function call(url, body) {
  const init = { headers: { Authorization: `Bearer ${state.token}` } };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, '');
  }
  if (response.status === 401) {
    showSignIn(tr('Mã truy cập không hợp lệ hoặc đã hết hạn.', 'The access token is invalid or has expired.'));
    throw new ApiError(401, '');
  }
  if (!response.ok) {
    let answer = {};
    try { answer = await response.json(); } catch { /* not JSON: the status says enough */ }
    throw new ApiError(response.status, answer.error, answer.fields, answer.vi, answer.en);
  }
  return response.json();
}

function showMessage(text) {
  const box = $('#message');
  box.textContent = text || '';
  box.hidden = !text;
}

function showDone(text) {
  $('#done').textContent = text || '';
}

/**
 * A refusal in the page's language. Field errors come in both languages from the server; the
 * approval rules' refusals are recognised by what the server names (the approval, its order, the
 * data, the reason or comment); anything else is said by its status.
 */
function refusalSentence(error) {
  if (!(error instanceof ApiError)) return tr('Đã xảy ra lỗi trên trang. Vui lòng tải lại trang.', 'Something went wrong in the page. Please reload it.');
  if (error.fields.length > 0) return error.fields.map((f) => tr(f.vi, `${FIELD_EN[f.field] || f.field} ${f.en}.`)).join(' ');
  // The server's own sentence, when it has one in both languages (approval order, locks, no data).
  if (error.vi && error.status !== 0) return tr(error.vi, error.en || error.detail);
  const said = error.detail.toLowerCase();
  switch (error.status) {
    case 0: return tr('Không kết nối được với máy chủ. Vui lòng kiểm tra mạng và thử lại.', 'The server could not be reached. Please check the network and try again.');
    case 403: return tr('Bạn không có quyền phê duyệt hoặc xem đơn vị này.', 'You are not allowed to approve or open this unit.');
    case 404: return tr('Không tìm thấy đơn vị hoặc phê duyệt này.', 'This unit or approval was not found.');
    case 429: return tr('Máy chủ đang bận. Vui lòng thử lại sau ít phút.', 'The server is busy. Please try again in a few minutes.');
    case 503: return tr('Cơ sở dữ liệu tạm thời không truy cập được. Vui lòng thử lại sau ít phút.', 'The database is temporarily unavailable. Please try again in a few minutes.');
    default: break;
  }
  if (said.includes('reason')) return tr('Cần ghi lý do rút phê duyệt.', 'A reason for withdrawing the approval is required.');
  if (said.includes('comment')) return tr('Còn điểm cần xem chưa giải quyết: cần ghi ý kiến khi phê duyệt.', 'Some findings are still open: approving needs a comment.');
  if (said.includes('no data') || said.includes('no report')) return tr('Kỳ này chưa có số liệu của đơn vị cho báo cáo này: chưa thể phê duyệt.', 'The unit has no figures for this data set and period: there is nothing to approve.');
  if (said.includes('withdrawn')) return tr('Phê duyệt này đã được rút trước đó.', 'This approval was already withdrawn.');
  if (said.includes('province') && (said.includes('in force') || said.includes('withdraw'))) return tr('Không rút được: số liệu đã được cấp tỉnh phê duyệt; cấp tỉnh cần rút phê duyệt trước.', 'This cannot be withdrawn: the province has approved these figures; the province must withdraw its approval first.');
  if (said.includes('order') || said.includes('district approval') || said.includes('before')) return tr('Chưa thể phê duyệt cấp tỉnh: cấp huyện chưa phê duyệt số liệu này.', 'Province approval has to wait: the district has not approved these figures yet.');
  if (said.includes('already')) return tr('Số liệu này đã được phê duyệt ở cấp này.', 'These figures are already approved at this level.');
  if (said.includes('approv')) return tr('Số liệu đã được phê duyệt nên bị khóa.', 'The figures are approved, so they are locked.');
  return tr('Máy chủ không chấp nhận yêu cầu. Vui lòng kiểm tra lại lựa chọn.', 'The server did not accept the request. Please check the choices.');
}

// ----- Choices: data set, period, area -------------------------------------------------------

const RANK = { monthly: 1, quarterly: 2, sixMonthly: 3, yearly: 4 };

/** Periods an approval may name for the data set: halves and years first (the six-monthly cycle), then quarters and months. */
function periodGroups() {
  const first = Number(state.programme.firstPeriod.slice(0, 4));
  const last = Number(state.programme.lastPeriod.slice(0, 4));
  const dataSet = state.programme.dataSets.find((d) => d.id === state.dataSet);
  const rank = RANK[dataSet?.periodType] || 1;
  const halves = [];
  const quarters = [];
  const months = [];
  for (let y = last; y >= first; y--) {
    if (rank <= 4) halves.push([`${y}`, `${tr('Năm', 'Year')} ${y}`]);
    if (rank <= 3) {
      halves.push([`${y}S2`, `${tr('6 tháng cuối năm', 'Second half')} ${y}`]);
      halves.push([`${y}S1`, `${tr('6 tháng đầu năm', 'First half')} ${y}`]);
    }
    for (let q = 4; q >= 1 && rank <= 2; q--) quarters.push([`${y}Q${q}`, `${tr('Quý', 'Quarter')} ${q}/${y}`]);
    for (let m = 12; m >= 1 && rank <= 1; m--) months.push([`${y}-${String(m).padStart(2, '0')}`, `${tr('Tháng', 'Month')} ${m}/${y}`]);
  }
  return [[tr('6 tháng và năm', 'Half-years and years'), halves], [tr('Quý', 'Quarters'), quarters], [tr('Tháng', 'Months'), months]]
    .filter(([, options]) => options.length > 0);
}

function periodLabel(code) {
  for (const [, options] of periodGroups()) {
    const found = options.find(([c]) => c === code);
    if (found) return found[1];
  }
  return code;
}

/** The areas this approver may review: the units of its credential (or the tenant's provinces) and the districts below them. */
async function loadAreas() {
  const roots = state.scope.length > 0 ? state.scope : (await call('/api/unit/VN')).children.map((u) => u.code);
  const areas = [];
  for (const code of roots) {
    const described = await call(`/api/unit/${encodeURIComponent(code)}`);
    if (described.unit.level === 'commune') continue;
    areas.push(described.unit);
    if (described.unit.level === 'province') {
      // Districts closed on 2025-07-01 stay: their earlier halves are still reviewed and approved.
      for (const child of described.children.filter((c) => c.level === 'district')) areas.push(child);
    }
  }
  state.areas = areas;
}

function renderStatic() {
  document.documentElement.lang = state.lang;
  document.title = tr('Xem xét và phê duyệt số liệu', 'Review and approve figures');
  document.querySelectorAll('[data-vi]').forEach((el) => { el.textContent = tr(el.dataset.vi, el.dataset.en); });
  document.querySelectorAll('[data-vi-label]').forEach((el) => { el.setAttribute('aria-label', tr(el.dataset.viLabel, el.dataset.enLabel)); });
  $('#lang').textContent = state.lang === 'vi' ? 'English' : 'Tiếng Việt';
  $('#lang').lang = state.lang === 'vi' ? 'en' : 'vi';
  $('#programme-name').textContent = name(state.programme);

  const dataSets = $('#data-set');
  dataSets.innerHTML = '';
  for (const d of state.programme.dataSets) dataSets.add(new Option(name(d), d.id));
  dataSets.value = state.dataSet;

  const periods = $('#period');
  periods.innerHTML = '';
  const groups = periodGroups();
  if (!groups.some(([, options]) => options.some(([c]) => c === state.period))) state.period = groups[0][1][0][0];
  for (const [label, options] of groups) {
    const group = document.createElement('optgroup');
    group.label = label;
    for (const [code, text] of options) group.append(new Option(text, code));
    periods.append(group);
  }
  periods.value = state.period;

  const units = $('#unit');
  units.innerHTML = '';
  for (const a of state.areas) units.add(new Option(a.level === 'district' && state.areas[0].level === 'province' ? `– ${a.name}` : a.name, a.code));
  units.value = state.unit;
}

function address() {
  const params = new URLSearchParams({ dataSet: state.dataSet, period: state.period, unit: state.unit });
  if (state.lang !== 'vi') params.set('lang', state.lang);
  return `?${params}`;
}

// ----- Loading what the approver decides on -------------------------------------------------

/** The level this area's approver signs at: a district approves its communes, a province its districts and agencies. */
const levelOfArea = () => (state.area.unit.level === 'province' ? 'APPROVAL_LEVEL_PROVINCE' : 'APPROVAL_LEVEL_DISTRICT');

async function load() {
  const q = `unit=${encodeURIComponent(state.unit)}&period=${encodeURIComponent(state.period)}`;
  const [area, rollup, approvals, review] = await Promise.all([
    call(`/api/unit/${encodeURIComponent(state.unit)}`),
    call(`/api/rollup?${q}&children=true&lang=${state.lang}`),
    call(`/api/approvals?${q}&children=true`),
    call(`/api/review?${q}&dataSet=${encodeURIComponent(state.dataSet)}`),
  ]);
  state.area = area;
  state.approvals = new Map((approvals.approvals || []).map((a) => [String(a.id), a]));
  state.findings = review.findings || [];
  // The area's own row first (its own reports and everything below), then each unit below by code.
  state.rows = [rollup.rollup, ...[...rollup.children].sort((a, b) => a.unit.code.localeCompare(b.unit.code))];
  // Findings name the unit they are about; a province's rows are districts, so communes' findings
  // are counted on their district.
  state.areaOf = new Map(state.rows.map((r) => [r.unit.code, r.unit.code]));
  if (area.unit.level === 'province') {
    const below = await Promise.all(rollup.children.map((c) => call(`/api/unit/${encodeURIComponent(c.unit.code)}`)));
    for (const d of below) for (const c of d.children) state.areaOf.set(c.code, d.unit.code);
  }
  history.replaceState(null, '', address());
  renderStatic();
  render();
}

const approvalOf = (row) => (row.approvals || []).find((a) => a.dataSet === state.dataSet && a.level && a.level !== 'APPROVAL_LEVEL_UNSPECIFIED');
const isArea = (row) => row.unit.code === state.area.unit.code;
const findingsOf = (row) => (isArea(row) ? state.findings : state.findings.filter((f) => state.areaOf.get(f.unitCode) === row.unit.code));
const hasData = (row) => (row.completeness || []).some((c) => c.dataSet === state.dataSet && Number(c.reported) > 0);

function render() {
  $('#heading').textContent = `${state.area.unit.name}: ${name(state.programme.dataSets.find((d) => d.id === state.dataSet))}, ${periodLabel(state.period)}`;
  const body = $('#approvals tbody');
  body.innerHTML = '';
  const wanted = LEVELS[levelOfArea()][3];
  for (const row of state.rows) {
    const approval = approvalOf(row);
    const level = levelOf(approval);
    const detail = approval ? state.approvals.get(String(approval.approvalId)) : undefined;
    const tr_ = document.createElement('tr');
    tr_.dataset.unit = row.unit.code;
    tr_.dataset.state = level[0];
    const unitName = isArea(row) ? `${tr('Cả địa bàn', 'Whole area')}: ${row.unit.name}` : row.unit.name;
    const who = approval ? `${escape(approval.approvedBy)}<br><time datetime="${escape(approval.approvedAt)}">${escape(vietnamTime(approval.approvedAt))}</time>` : '–';
    const covered = detail && detail.unitCode !== row.unit.code ? ` <span class="hint">(${tr('cùng với', 'with')} ${escape(detail.unitCode)})</span>` : '';
    const open = findingsOf(row).length;
    tr_.innerHTML = `<th scope="row">${escape(unitName)}</th>`
      + `<td><span class="approval ${level[0]}">${escape(tr(level[1], level[2]))}</span>${covered}</td>`
      + `<td>${who}</td><td>${escape(detail?.comment || '')}</td>`
      + `<td class="num">${open === 0 ? tr('Không', 'None') : number(open)}</td><td class="actions"></td>`;
    const actions = tr_.querySelector('.actions');
    // Each button's name starts with its visible words (WCAG 2.5.3), then says which unit.
    if (level[3] < wanted) {
      const text = isArea(row) ? tr('Phê duyệt cả địa bàn', 'Approve the whole area') : tr('Phê duyệt', 'Approve');
      actions.append(button(text, `${text}: ${row.unit.name}`, 'approve', () => askApprove(row)));
    }
    if (approval) {
      const text = tr('Rút phê duyệt', 'Withdraw');
      actions.append(button(text, `${text}: ${row.unit.name}`, 'withdraw', () => askWithdraw(row, approval)));
    }
    body.append(tr_);
  }
  renderFindings();
}

function button(text, label, kind, action) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = kind === 'approve' ? 'action' : 'download';
  b.dataset.action = kind;
  b.textContent = text;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', action);
  return b;
}

function renderFindings() {
  const box = $('#findings');
  box.innerHTML = '';
  $('#findings-empty').hidden = state.findings.length > 0;
  const byUnit = new Map();
  for (const f of state.findings) {
    if (!byUnit.has(f.unitCode)) byUnit.set(f.unitCode, []);
    byUnit.get(f.unitCode).push(f);
  }
  for (const [code, findings] of [...byUnit.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const section = document.createElement('section');
    section.className = 'unit-findings';
    section.dataset.unit = code;
    const heading = document.createElement('h3');
    heading.textContent = `${findings[0].unitName || code} (${number(findings.length)})`;
    section.append(heading);
    const list = document.createElement('ul');
    for (const f of findings) {
      const item = document.createElement('li');
      item.dataset.kind = f.kind;
      const kind = KINDS[f.kind] || ['Cần xem', 'To look at'];
      item.innerHTML = `<strong>${escape(tr(kind[0], kind[1]))}</strong>${f.indicatorId || f.dataElement ? ` (${escape(f.indicatorId || f.dataElement)}, ${escape(f.period)})` : ''}: ${escape(tr(f.messageVi, f.messageEn || f.messageVi))}`;
      if (f.history && f.history.length > 0) item.append(historyTable(f));
      list.append(item);
    }
    section.append(list);
    box.append(section);
  }
}

/** An outlier's history: the periods it is compared with, the value in question last, and the centre and spread. */
function historyTable(f) {
  const table = document.createElement('table');
  table.className = 'history';
  const centre = f.median !== undefined && f.median !== null
    ? `; ${tr('trung vị', 'median')} ${number(f.median)}${f.mad !== undefined && f.mad !== null ? `, MAD ${number(f.mad)}` : ''}` : '';
  table.innerHTML = `<caption>${escape(tr('Các kỳ trước của', 'Earlier periods of'))} ${escape(f.dataElement || f.indicatorId)}${escape(centre)}</caption>`
    + `<thead><tr><th scope="col">${tr('Kỳ', 'Period')}</th><th scope="col">${tr('Giá trị', 'Value')}</th></tr></thead>`;
  const body = document.createElement('tbody');
  for (const p of f.history) body.insertAdjacentHTML('beforeend', `<tr><th scope="row">${escape(p.period)}</th><td class="num">${number(p.value)}</td></tr>`);
  if (f.value !== undefined && f.value !== null) {
    body.insertAdjacentHTML('beforeend', `<tr class="questioned"><th scope="row">${escape(f.period)} (${tr('cần xem', 'to check')})</th><td class="num"><strong>${number(f.value)}</strong></td></tr>`);
  }
  table.append(body);
  return table;
}

// ----- Approving and withdrawing --------------------------------------------------------------

/** Opens the comment form under the table; the page refuses at once what the server would refuse. */
async function askApprove(row) {
  showMessage('');
  showDone('');
  const level = levelOfArea();
  if (!hasData(row)) {
    showMessage(tr(`Chưa thể phê duyệt ${row.unit.name}: kỳ này chưa có số liệu cho báo cáo đã chọn.`,
      `${row.unit.name} cannot be approved: there are no figures for the chosen data set in this period.`));
    return;
  }
  if (level === 'APPROVAL_LEVEL_PROVINCE' && !isArea(row) && levelOf(approvalOf(row))[3] < 1) {
    showMessage(tr(`Chưa thể phê duyệt cấp tỉnh cho ${row.unit.name}: cấp huyện cần phê duyệt trước.`,
      `${row.unit.name} cannot be approved at province level yet: the district has to approve first.`));
    return;
  }
  let open = findingsOf(row).length;
  try {
    // The server's count for exactly this unit's area is the one its rule uses.
    open = (await call(`/api/review?unit=${encodeURIComponent(row.unit.code)}&period=${encodeURIComponent(state.period)}&dataSet=${encodeURIComponent(state.dataSet)}`)).findings?.length ?? open;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
  }
  openDecision({
    kind: 'approve', row, level, required: open > 0,
    heading: `${tr('Phê duyệt', 'Approve')} ${isArea(row) ? `${tr('cả địa bàn', 'the whole area')} ${row.unit.name}` : row.unit.name} ${level === 'APPROVAL_LEVEL_PROVINCE' ? tr('ở cấp tỉnh', 'at province level') : tr('ở cấp huyện', 'at district level')}`,
    hint: open > 0
      ? tr(`Còn ${number(open)} điểm cần xem chưa giải quyết: cần ghi ý kiến giải thích khi phê duyệt.`, `${number(open)} findings are still open: write a comment explaining the approval.`)
      : tr('Không có điểm nào cần xem. Ý kiến là không bắt buộc.', 'Nothing needs a look. A comment is optional.'),
    label: open > 0 ? tr('Ý kiến (bắt buộc)', 'Comment (required)') : tr('Ý kiến', 'Comment'),
    submit: tr('Xác nhận phê duyệt', 'Confirm approval'),
  });
}

function askWithdraw(row, approval) {
  showMessage('');
  showDone('');
  openDecision({
    kind: 'withdraw', row, approval, required: true,
    heading: `${tr('Rút phê duyệt của', 'Withdraw the approval of')} ${row.unit.name}`,
    hint: tr('Số liệu sẽ được mở khóa để sửa. Cần ghi lý do.', 'The figures will be unlocked for correction. A reason is required.'),
    label: tr('Lý do rút phê duyệt (bắt buộc)', 'Reason for withdrawing (required)'),
    submit: tr('Xác nhận rút phê duyệt', 'Confirm withdrawal'),
  });
}

function openDecision(decision) {
  state.decision = decision;
  const form = $('#decision');
  form.hidden = false;
  $('#decision-heading').textContent = decision.heading;
  $('#decision-hint').textContent = decision.hint;
  $('#decision-label').textContent = decision.label;
  $('#decision-submit').textContent = decision.submit;
  const text = $('#decision-text');
  text.value = '';
  text.required = decision.required;
  text.setAttribute('aria-invalid', 'false');
  $('#decision-error').textContent = '';
  text.focus();
}

function closeDecision(focusUnit) {
  state.decision = null;
  $('#decision').hidden = true;
  const row = focusUnit && document.querySelector(`#approvals tr[data-unit="${focusUnit}"] button`);
  if (row) row.focus();
}

async function decide(event) {
  event.preventDefault();
  const decision = state.decision;
  if (!decision) return;
  const text = $('#decision-text').value.trim();
  if (decision.required && !text) {
    const sentence = decision.kind === 'withdraw'
      ? tr('Cần ghi lý do rút phê duyệt.', 'A reason for withdrawing the approval is required.')
      : tr('Còn điểm cần xem chưa giải quyết: cần ghi ý kiến khi phê duyệt.', 'Some findings are still open: approving needs a comment.');
    $('#decision-error').textContent = sentence;
    $('#decision-text').setAttribute('aria-invalid', 'true');
    $('#decision-text').focus();
    return;
  }
  const submit = $('#decision-submit');
  submit.disabled = true;
  try {
    if (decision.kind === 'approve') {
      await call('/api/approvals', {
        programmeId: state.programme.id, dataSet: state.dataSet, unitCode: decision.row.unit.code, period: state.period, level: decision.level, comment: text,
      });
      showDone(tr(`Đã phê duyệt ${decision.row.unit.name}.`, `${decision.row.unit.name} is approved.`));
    } else {
      await call(`/api/approvals/${encodeURIComponent(decision.approval.approvalId)}/withdraw`, { reason: text });
      showDone(tr(`Đã rút phê duyệt của ${decision.row.unit.name}; số liệu được mở khóa.`, `The approval of ${decision.row.unit.name} is withdrawn; its figures are unlocked.`));
    }
    const code = decision.row.unit.code;
    closeDecision();
    await load();
    document.querySelector(`#approvals tr[data-unit="${code}"] button`)?.focus();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    $('#decision-error').textContent = refusalSentence(error);
    $('#decision-text').focus();
  } finally {
    submit.disabled = false;
  }
}

// ----- Start ---------------------------------------------------------------------------------

async function change(key, value) {
  const previous = state[key];
  state[key] = value;
  closeDecision();
  showMessage('');
  showDone('');
  try {
    if (key === 'dataSet') renderStatic();
    await load();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    state[key] = previous;
    renderStatic();
    showMessage(refusalSentence(error));
  }
}

async function start() {
  const params = new URLSearchParams(location.search);
  state.lang = params.get('lang') === 'en' ? 'en' : 'vi';
  document.documentElement.lang = state.lang;
  document.querySelectorAll('[data-vi]').forEach((el) => { el.textContent = tr(el.dataset.vi, el.dataset.en); });
  state.token = signedInToken();
  if (!state.token) return;
  state.scope = [].concat(tokenClaims(state.token).unit || []);
  state.programme = (await call('/api/programme')).programmes[0];
  const defaults = await call('/api/defaults');
  await loadAreas();
  if (state.areas.length === 0) {
    showMessage(tr('Mã truy cập này không gắn với huyện hoặc tỉnh nào: không có số liệu để phê duyệt.', 'This access token covers no district or province: there is nothing to approve.'));
    return;
  }
  const dataSets = state.programme.dataSets.map((d) => d.id);
  state.dataSet = dataSets.includes(params.get('dataSet')) ? params.get('dataSet') : dataSets[0];
  state.period = params.get('period') || defaults.period;
  state.unit = state.areas.some((a) => a.code === params.get('unit')) ? params.get('unit') : state.areas[0].code;
  renderStatic();
  $('#data-set').addEventListener('change', (e) => change('dataSet', e.target.value));
  $('#period').addEventListener('change', (e) => change('period', e.target.value));
  $('#unit').addEventListener('change', (e) => change('unit', e.target.value));
  $('#lang').addEventListener('click', () => change('lang', state.lang === 'vi' ? 'en' : 'vi'));
  $('#choice').addEventListener('submit', (e) => e.preventDefault());
  $('#decision').addEventListener('submit', decide);
  $('#decision-cancel').addEventListener('click', () => closeDecision(state.decision?.row.unit.code));
  $('#decision').addEventListener('keydown', (e) => { if (e.key === 'Escape') closeDecision(state.decision?.row.unit.code); });
  await load();
}

start().catch((error) => {
  if (error instanceof ApiError && error.status === 401) return;
  showMessage(refusalSentence(error));
});
