// Data entry: a submitter picks a form (data set), a period and a unit, and enters or corrects the
// unit's figures in the form the programme defines. Submissions go to /api/entry, which builds a
// report and sends it through the same path as gRPC. Vietnamese by default, English with ?lang=en or
// the language button; every label, number, date and message follows the page's language.
'use strict';

const state = {
  lang: 'vi', token: null, options: null, units: null, form: null, dataSet: null, period: null, unit: null,
  // The submission being made: its idempotency key is kept until the server answers, so a retry
  // after a lost answer sends the same key and counts once.
  pending: null, inFlight: false, fieldErrors: [], confirmation: null,
};

const $ = (sel) => document.querySelector(sel);
const tr = (vi, en) => (state.lang === 'vi' ? vi : en);
const locale = () => (state.lang === 'vi' ? 'vi-VN' : 'en-GB');
const number = (v) => new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(Number(v));
const nameOf = (x) => (state.lang === 'vi' ? x.nameVi : (x.nameEn || x.nameVi));

/** A time as the officers read it: the date, the time and the zone, in Vietnam time. */
function vietnamTime(iso) {
  return `${vietnamClock(iso)} ${tr('(giờ Việt Nam, UTC+7)', '(Vietnam time, UTC+7)')}`;
}

/** "2025-07" → "Tháng 7/2025" / "July 2025"; quarters, halves and years alike. */
function periodLabel(code) {
  let m = /^(\d{4})-(\d{2})$/.exec(code);
  if (m) {
    const month = new Intl.DateTimeFormat('en-GB', { month: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(+m[1], +m[2] - 1, 1)));
    return tr(`Tháng ${+m[2]}/${m[1]}`, `${month} ${m[1]}`);
  }
  m = /^(\d{4})Q(\d)$/.exec(code);
  if (m) return tr(`Quý ${m[2]}/${m[1]}`, `Q${m[2]} ${m[1]}`);
  m = /^(\d{4})S(\d)$/.exec(code);
  if (m) return m[2] === '1' ? tr(`6 tháng đầu năm ${m[1]}`, `First half of ${m[1]}`) : tr(`6 tháng cuối năm ${m[1]}`, `Second half of ${m[1]}`);
  if (/^\d{4}$/.test(code)) return tr(`Năm ${code}`, `Year ${code}`);
  return code;
}

/** An answer of the API other than 2xx; <fields> are the server's sentences, each in both languages. */
class ApiError extends Error {
  constructor(status, fields) {
    super(`${status}`);
    this.status = status;
    this.fields = fields || [];
  }
}

async function call(url, init) {
  const response = await fetch(url, { ...init, headers: { ...(init && init.headers), Authorization: `Bearer ${state.token}` } });
  if (response.status === 401) {
    showSignIn(tr('Mã truy cập không hợp lệ hoặc đã hết hạn.', 'The access token is invalid or has expired.'));
    throw new ApiError(401);
  }
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: the status says enough */ }
  if (!response.ok) throw new ApiError(response.status, body && body.fields);
  return body;
}

const get = (url) => call(url);

/** A refusal as a sentence of the page's language: the server's own, else one by its status. */
function errorSentence(error) {
  if (!(error instanceof ApiError)) return tr('Đã xảy ra lỗi khi hiển thị trang. Vui lòng tải lại trang.', 'Something went wrong while showing the page. Please reload it.');
  if (error.fields.length > 0) return error.fields.map((f) => tr(f.vi, f.en)).join(' ');
  switch (error.status) {
    case 403: return tr('Mã truy cập này không được nộp số liệu cho lựa chọn này.', 'This credential may not submit figures for this choice.');
    case 429: return tr('Máy chủ đang bận. Vui lòng thử lại sau ít phút.', 'The server is busy. Please try again in a few minutes.');
    case 503: return tr('Cơ sở dữ liệu tạm thời không truy cập được. Vui lòng thử lại sau ít phút.', 'The database is temporarily unavailable. Please try again in a few minutes.');
    default: return tr('Máy chủ không trả lời được yêu cầu. Vui lòng thử lại.', 'The server could not answer. Please try again.');
  }
}

function showMessage(text) {
  const box = $('#message');
  box.textContent = text || '';
  box.hidden = !text;
}

/** Shows the sentence <sentence> makes in the page's language, and again in the other one when the language changes; null clears it. */
function say(sentence) {
  state.notice = sentence;
  showMessage(sentence ? sentence() : '');
}

function report(error) {
  if (error instanceof ApiError && error.status === 401) return;
  say(() => errorSentence(error));
}

// ----- Choosing the data set, the period and the unit -----------------------------------------

function currentDataSet() {
  return state.options.dataSets.find((d) => d.id === state.dataSet);
}

function address() {
  const params = new URLSearchParams();
  if (state.dataSet) params.set('dataSet', state.dataSet);
  if (state.period) params.set('period', state.period);
  if (state.unit) params.set('unit', state.unit);
  if (state.lang !== 'vi') params.set('lang', state.lang);
  return `?${params}`;
}

function renderStatic() {
  document.documentElement.lang = state.lang;
  document.title = tr('Nhập số liệu báo cáo', 'Enter report figures');
  document.querySelectorAll('[data-vi]').forEach((el) => { el.textContent = tr(el.dataset.vi, el.dataset.en); });
  $('#lang').textContent = state.lang === 'vi' ? 'English' : 'Tiếng Việt';
  $('#lang').lang = state.lang === 'vi' ? 'en' : 'vi';
  if (state.options) $('#programme-name').textContent = nameOf(state.options.programme);
}

function renderChoices() {
  const sets = $('#data-set');
  sets.innerHTML = '';
  for (const d of state.options.dataSets) sets.add(new Option(nameOf(d), d.id));
  sets.value = state.dataSet;
  const periods = $('#entry-period');
  periods.innerHTML = '';
  for (const p of currentDataSet().periods) periods.add(new Option(periodLabel(p), p));
  periods.value = state.period;
  renderUnits();
}

function renderUnits() {
  const select = $('#entry-unit');
  select.innerHTML = '';
  const summary = $('#units-summary');
  if (!state.units) {
    summary.textContent = '';
    return;
  }
  const { due, reported, deadline } = state.units;
  const dueText = deadline ? `${tr('hạn nộp', 'due')} ${vietnamTime(deadline)}` : '';
  if (due.length > 0) {
    const group = document.createElement('optgroup');
    group.label = `${tr('Chưa báo cáo', 'Not reported yet')} (${number(due.length)})${dueText ? ` – ${dueText}` : ''}`;
    group.dataset.group = 'due';
    for (const u of due) group.append(new Option(unitLabel(u), u.code));
    select.append(group);
  }
  if (reported.length > 0) {
    const group = document.createElement('optgroup');
    group.label = `${tr('Đã báo cáo', 'Reported')} (${number(reported.length)})`;
    group.dataset.group = 'reported';
    for (const u of reported) group.append(new Option(`${unitLabel(u)} – ${tr('đã báo cáo', 'reported')} ${vietnamTime(u.reportedAt)}`, u.code));
    select.append(group);
  }
  select.value = state.unit || '';
  const parts = [];
  parts.push(tr(`${number(due.length)} đơn vị chưa báo cáo kỳ này, ${number(reported.length)} đơn vị đã báo cáo.`,
    `${number(due.length)} units have not reported for this period yet, ${number(reported.length)} have.`));
  if (deadline) {
    const overdue = new Date(deadline) < new Date(state.units.now);
    parts.push(`${tr('Hạn nộp', 'Due by')}: ${vietnamTime(deadline)}${overdue ? tr(' (đã quá hạn).', ' (past due).') : '.'}`);
  }
  if (due.length + reported.length === 0) {
    parts.splice(0, parts.length, tr('Mã truy cập này không có đơn vị nào phải nộp biểu mẫu này trong kỳ đã chọn.', 'This credential has no unit that reports this form for the chosen period.'));
  }
  summary.textContent = parts.join(' ');
}

function unitLabel(u) {
  return u.parent ? `${u.name} (${u.parent})` : u.name;
}

async function loadUnits() {
  state.units = await get(`/api/entry/units?dataSet=${encodeURIComponent(state.dataSet)}&period=${encodeURIComponent(state.period)}`);
  const all = [...state.units.due, ...state.units.reported];
  if (!all.some((u) => u.code === state.unit)) state.unit = all.length > 0 ? all[0].code : null;
  renderUnits();
  history.replaceState(null, '', address());
  await loadForm();
}

// ----- The form ------------------------------------------------------------------------------

async function loadForm() {
  state.form = null;
  $('#entry-form').hidden = true;
  if (!state.unit) return;
  state.form = await get(`/api/entry/form?dataSet=${encodeURIComponent(state.dataSet)}&period=${encodeURIComponent(state.period)}&unit=${encodeURIComponent(state.unit)}`);
  state.fieldErrors = [];
  renderForm(null);
  $('#entry-form').hidden = false;
}

const isNumber = (e) => e.type === 'count' || e.type === 'stock';

/** What the field shows for the value held: the number in the page's notation, yes/no, or the ids one per line. */
function heldText(e) {
  if (!e.held) return '';
  if (isNumber(e)) return number(e.held.number);
  if (e.type === 'entities') return e.held.entities.join('\n');
  return '';
}

function heldDescription(e) {
  if (!e.held) return tr('Chưa có giá trị.', 'No value yet.');
  let value;
  if (isNumber(e)) value = number(e.held.number);
  else if (e.type === 'flag') value = e.held.flag ? tr('Có', 'Yes') : tr('Không', 'No');
  else value = tr(`${number(e.held.entities.length)} cơ sở`, `${number(e.held.entities.length)} establishments`);
  return `${tr('Đang lưu', 'Held')}: ${value} (${tr('nộp lúc', 'sent')} ${vietnamTime(e.held.reportedAt)}).`;
}

function typeHint(e) {
  switch (e.type) {
    case 'flag': return '';
    case 'entities': return tr('Ghi mỗi mã cơ sở trên một dòng, hoặc cách nhau bằng dấu phẩy.', 'One establishment id per line, or separated by commas.');
    default: return tr('Số nguyên, ví dụ 1.000.', 'A whole number, for example 1,000.');
  }
}

/** Draws the form; <typed> (on a change of language) puts back what the officer had typed. */
function renderForm(typed) {
  const f = state.form;
  $('#form-heading').textContent = `${nameOf(f.dataSet)} – ${periodLabel(f.period)}`;
  $('#form-meta').textContent = `${f.unit.name}${f.deadline ? ` · ${tr('Hạn nộp', 'Due by')}: ${vietnamTime(f.deadline)}` : ''}`;
  const fields = $('#fields');
  fields.innerHTML = '';
  for (const e of f.elements) fields.append(renderField(e));
  if (typed) restoreTyped(typed);
  for (const error of state.fieldErrors) markField(error);
}

function renderField(e) {
  const box = document.createElement(e.type === 'flag' ? 'fieldset' : 'div');
  box.className = `field field-${e.type}`;
  box.dataset.element = e.id;
  const hintId = `h-${e.id}`;
  const errorId = `e-${e.id}`;
  const hint = document.createElement('p');
  hint.className = 'hint';
  hint.id = hintId;
  hint.textContent = [heldDescription(e), typeHint(e), state.lang === 'en' && e.descriptionEn ? e.descriptionEn : ''].filter(Boolean).join(' ');
  const error = document.createElement('p');
  error.className = 'field-error';
  error.id = errorId;
  error.hidden = true;

  if (e.type === 'flag') {
    const legend = document.createElement('legend');
    legend.textContent = nameOf(e);
    box.append(legend, hint);
    const choices = document.createElement('div');
    choices.className = 'choices';
    for (const [value, vi, en] of [['yes', 'Có', 'Yes'], ['no', 'Không', 'No']]) {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = `f-${e.id}`;
      input.value = value;
      input.id = `f-${e.id}-${value}`;
      input.setAttribute('aria-describedby', hintId);
      if (e.held && e.held.flag === (value === 'yes')) input.checked = true;
      label.append(input, ` ${tr(vi, en)}`);
      choices.append(label);
    }
    box.append(choices);
  } else {
    const label = document.createElement('label');
    label.htmlFor = `f-${e.id}`;
    label.textContent = nameOf(e);
    const input = document.createElement(e.type === 'entities' ? 'textarea' : 'input');
    input.id = `f-${e.id}`;
    input.name = e.id;
    input.setAttribute('aria-describedby', hintId);
    input.autocomplete = 'off';
    if (e.type === 'entities') {
      input.rows = Math.min(8, Math.max(3, (e.held ? e.held.entities.length : 0) + 1));
      input.spellcheck = false;
    } else {
      input.type = 'text';
      input.inputMode = 'numeric';
    }
    input.value = heldText(e);
    input.dataset.initial = input.value;
    box.append(label, hint);
    if (e.type === 'entities' && e.held && e.held.entities.length > 0) {
      const list = document.createElement('ul');
      list.className = 'held-ids';
      list.setAttribute('aria-label', tr('Các mã đang lưu', 'Ids held'));
      for (const id of e.held.entities) {
        const item = document.createElement('li');
        item.textContent = id;
        list.append(item);
      }
      box.append(list);
    }
    box.append(input);
  }

  if (e.held) {
    const withdraw = document.createElement('label');
    withdraw.className = 'withdraw';
    const check = document.createElement('input');
    check.type = 'checkbox';
    check.id = `w-${e.id}`;
    check.addEventListener('change', () => {
      box.querySelectorAll('input:not([type=checkbox]), textarea').forEach((x) => { x.disabled = check.checked; });
    });
    withdraw.append(check, ` ${tr('Rút lại giá trị đang lưu', 'Withdraw the value held')}`);
    box.append(withdraw);
  }
  box.append(error);
  return box;
}

/** The inputs of one element's field, in document order (a yes/no field has two). */
function inputsOf(id) {
  return [...document.querySelectorAll(`[data-element="${id}"] input:not([type=checkbox]), [data-element="${id}"] textarea`)];
}

function typedValues() {
  const typed = {};
  for (const e of state.form.elements) {
    const withdraw = document.getElementById(`w-${e.id}`);
    const inputs = inputsOf(e.id);
    typed[e.id] = {
      withdraw: !!(withdraw && withdraw.checked),
      text: e.type === 'flag' ? null : inputs[0].value,
      flag: e.type === 'flag' ? (inputs.find((x) => x.checked) || {}).value || null : null,
    };
  }
  return typed;
}

function restoreTyped(typed) {
  for (const e of state.form.elements) {
    const t = typed[e.id];
    if (!t) continue;
    const inputs = inputsOf(e.id);
    if (e.type === 'flag') inputs.forEach((x) => { x.checked = x.value === t.flag; });
    else inputs[0].value = t.text;
    const withdraw = document.getElementById(`w-${e.id}`);
    if (withdraw && t.withdraw) {
      withdraw.checked = true;
      inputs.forEach((x) => { x.disabled = true; });
    }
  }
}

const idsOf = (text) => text.split(/[\n\r,;]+/).map((s) => s.trim()).filter(Boolean);

/** The values to send: what differs from the value held, and the withdrawals. */
function changedValues() {
  const values = [];
  const typed = typedValues();
  for (const e of state.form.elements) {
    const t = typed[e.id];
    if (t.withdraw) {
      values.push({ element: e.id, withdraw: true });
    } else if (e.type === 'flag') {
      if (t.flag && (!e.held || e.held.flag !== (t.flag === 'yes'))) values.push({ element: e.id, flag: t.flag === 'yes' });
    } else if (e.type === 'entities') {
      const ids = idsOf(t.text);
      if (ids.length > 0 && (!e.held || ids.join('\n') !== e.held.entities.join('\n'))) values.push({ element: e.id, entities: t.text });
    } else {
      const text = t.text.trim();
      if (text !== '' && text !== heldText(e)) values.push({ element: e.id, text });
    }
  }
  return values;
}

function clearFieldErrors() {
  state.fieldErrors = [];
  document.querySelectorAll('.field-error').forEach((p) => { p.hidden = true; p.textContent = ''; });
  document.querySelectorAll('[aria-invalid]').forEach((x) => {
    x.removeAttribute('aria-invalid');
    x.setAttribute('aria-describedby', `h-${x.closest('[data-element]').dataset.element}`);
  });
  document.querySelectorAll('.field.invalid').forEach((x) => x.classList.remove('invalid'));
}

/** Shows a server's sentence beside its field; false when the error names no field of the form. */
function markField(error) {
  const box = document.querySelector(`[data-element="${error.field}"]`);
  if (!box) return false;
  const p = document.getElementById(`e-${error.field}`);
  p.textContent = tr(error.vi, error.en);
  p.hidden = false;
  box.classList.add('invalid');
  for (const input of inputsOf(error.field)) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', `e-${error.field} h-${error.field}`);
  }
  return true;
}

function showFieldErrors(fields) {
  state.fieldErrors = fields.filter((f) => document.querySelector(`[data-element="${f.field}"]`));
  const beside = state.fieldErrors.length;
  const others = fields.filter((f) => !state.fieldErrors.includes(f));
  for (const f of state.fieldErrors) markField(f);
  say(() => {
    const sentences = [];
    if (beside > 0) {
      sentences.push(tr(`Chưa lưu: ${number(beside)} ô có lỗi, xem ghi chú bên dưới từng ô.`,
        `Nothing was saved: ${number(beside)} fields have errors, see the note under each.`));
    }
    for (const f of others) sentences.push(tr(f.vi, f.en));
    return sentences.join(' ');
  });
  const first = document.querySelector('#fields [aria-invalid="true"]:not(:disabled)');
  if (first) first.focus();
}

/** A key made once per submission: crypto.randomUUID where the page is a secure context, else the same from random bytes. */
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function setBusy(busy) {
  state.inFlight = busy;
  const button = $('#save');
  button.disabled = busy;
  button.setAttribute('aria-busy', busy ? 'true' : 'false');
  button.textContent = busy ? tr('Đang lưu…', 'Saving…') : tr(button.dataset.vi, button.dataset.en);
}

async function submit(event) {
  event.preventDefault();
  if (state.inFlight) return;
  clearFieldErrors();
  say(null);
  setConfirmation(null);
  const values = changedValues();
  if (values.length === 0) {
    say(() => tr('Không có thay đổi nào để lưu: hãy nhập một giá trị mới, sửa một giá trị hoặc chọn rút lại.', 'There is no change to save: enter a new value, change one or choose to withdraw one.'));
    return;
  }
  const body = { dataSet: state.dataSet, period: state.period, unit: state.unit, lang: state.lang, values };
  const signature = JSON.stringify(body);
  // The same submission again (a retry after a lost answer) keeps its key; anything else is a new one.
  if (!state.pending || state.pending.signature !== signature) state.pending = { key: newKey(), signature };
  const sent = { elements: state.form.elements, values };
  setBusy(true);
  let answer;
  try {
    answer = await call('/api/entry', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...body, idempotencyKey: state.pending.key }),
    });
  } catch (error) {
    setBusy(false);
    if (!(error instanceof ApiError)) {
      say(() => tr('Không gửi được số liệu (mất kết nối?). Bấm “Lưu số liệu” lần nữa để gửi lại; lần nộp này chỉ được tính một lần.',
        'The figures could not be sent (connection lost?). Press “Save figures” again to resend; this submission counts only once.'));
      return;
    }
    if (error.status === 401) return;
    // A busy or unavailable server saved nothing for sure: a retry keeps the key. Any other answer is final.
    if (error.status !== 429 && error.status !== 503) state.pending = null;
    showFieldErrors(error.fields.length > 0 ? error.fields : [{ field: 'form', vi: errorSentence(error), en: errorSentence(error) }]);
    return;
  }
  setBusy(false);
  state.pending = null;
  await afterSave(answer, sent);
}

async function afterSave(answer, sent) {
  const byId = new Map(sent.elements.map((e) => [e.id, e]));
  const summary = { added: [], corrected: [], withdrawn: [] };
  for (const v of sent.values) {
    const e = byId.get(v.element);
    if (v.withdraw) summary.withdrawn.push(e);
    else if (e.held) summary.corrected.push(e);
    else summary.added.push(e);
  }
  await Promise.all([
    get(`/api/entry/units?dataSet=${encodeURIComponent(state.dataSet)}&period=${encodeURIComponent(state.period)}`).then((u) => { state.units = u; renderUnits(); }),
    loadForm(),
  ]);
  let savedAt = answer.savedAt;
  if (!savedAt) {
    // Saved before (this was a retry): the time is the one the form now holds.
    const times = state.form.elements.filter((e) => e.held && sent.values.some((v) => v.element === e.id)).map((e) => e.held.reportedAt).sort();
    savedAt = times.length > 0 ? times[times.length - 1] : new Date().toISOString();
  }
  state.confirmation = { duplicate: answer.outcome === 'duplicate', savedAt, summary };
  setConfirmation(state.confirmation);
}

function setConfirmation(c) {
  state.confirmation = c;
  const box = $('#confirmation');
  box.innerHTML = '';
  box.classList.toggle('shown', !!c);
  if (!c) return;
  const head = document.createElement('p');
  head.className = 'saved';
  head.textContent = `${c.duplicate ? tr('Lần nộp này đã được lưu trước đó (không tính hai lần)', 'This submission was already saved (it counts once)') : tr('Đã lưu', 'Saved')} ${tr('lúc', 'at')} ${vietnamTime(c.savedAt)}.`;
  box.append(head);
  const list = document.createElement('ul');
  for (const [items, vi, en] of [[c.summary.added, 'Nhận mới', 'Accepted'], [c.summary.corrected, 'Đã sửa', 'Corrected'], [c.summary.withdrawn, 'Đã rút lại', 'Withdrawn']]) {
    if (items.length === 0) continue;
    const item = document.createElement('li');
    item.textContent = `${tr(vi, en)} (${number(items.length)}): ${items.map(nameOf).join('; ')}`;
    list.append(item);
  }
  box.append(list);
}

// ----- Start ---------------------------------------------------------------------------------

async function changeDataSet(id) {
  state.dataSet = id;
  const d = currentDataSet();
  if (!d.periods.includes(state.period)) state.period = d.defaultPeriod;
  renderChoices();
  await loadUnits();
}

async function changeLanguage() {
  const typed = state.form ? typedValues() : null;
  state.lang = state.lang === 'vi' ? 'en' : 'vi';
  renderStatic();
  if (state.options && state.options.dataSets.length > 0) renderChoices();
  if (state.form) renderForm(typed);
  if (state.confirmation) setConfirmation(state.confirmation);
  if (state.notice) showMessage(state.notice());
  history.replaceState(null, '', address());
}

function guarded(action) {
  return async (...args) => {
    try {
      say(null);
      await action(...args);
    } catch (error) {
      report(error);
    }
  };
}

async function start() {
  const params = new URLSearchParams(location.search);
  state.lang = params.get('lang') === 'en' ? 'en' : 'vi';
  renderStatic();
  $('#lang').addEventListener('click', changeLanguage);
  state.token = signedInToken();
  if (!state.token) return;
  state.options = await get('/api/entry/options');
  renderStatic();
  if (!state.options.canSubmit) {
    say(() => tr('Mã truy cập này không có quyền nộp số liệu (cần vai trò “submitter”). Hãy đăng nhập bằng mã truy cập của người nộp báo cáo.',
      'This credential may not submit figures (the role “submitter” is needed). Sign in with a submitter’s access token.'));
    return;
  }
  if (state.options.dataSets.length === 0) {
    say(() => tr('Mã truy cập này không được nộp biểu mẫu nào của kế hoạch.', 'This credential may submit none of the plan’s forms.'));
    return;
  }
  $('#choose').hidden = false;
  $('#data-set').addEventListener('change', guarded((e) => changeDataSet(e.target.value)));
  $('#entry-period').addEventListener('change', guarded(async (e) => { state.period = e.target.value; setConfirmation(null); await loadUnits(); }));
  $('#entry-unit').addEventListener('change', guarded(async (e) => { state.unit = e.target.value; setConfirmation(null); history.replaceState(null, '', address()); await loadForm(); }));
  $('#entry-form').addEventListener('submit', submit);

  const asked = state.options.dataSets.find((d) => d.id === params.get('dataSet')) || state.options.dataSets[0];
  state.dataSet = asked.id;
  state.period = params.get('period') || asked.defaultPeriod;
  state.unit = params.get('unit');
  renderChoices();
  try {
    await loadUnits();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401 || state.period === asked.defaultPeriod) throw error;
    // A period asked for in the address that cannot be reported: say why, then open the usual one.
    state.period = asked.defaultPeriod;
    renderChoices();
    await loadUnits();
    report(error);
    return;
  }
  const askedUnit = params.get('unit');
  if (askedUnit && askedUnit !== state.unit) {
    say(() => tr(`Mã truy cập này không được nộp biểu mẫu này cho đơn vị “${askedUnit}” trong kỳ đã chọn; trang mở đơn vị của bạn.`,
      `This credential may not submit this form for the unit “${askedUnit}” in the chosen period; the page opens your own unit instead.`));
  }
}

start().catch(report);
