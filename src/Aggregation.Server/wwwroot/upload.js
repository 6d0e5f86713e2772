'use strict';
// The spreadsheet upload page: the command line's template and import in the browser. The officer
// downloads the template, fills it in, uploads it; the server checks every row first (nothing is
// imported) and lists each error by row and column; the file is then imported whole when it has no
// error, or its valid rows when the officer chooses that. Vietnamese by default, English with
// ?lang=en or the language button. Same sign-in as the dashboard.

const state = { lang: 'vi', token: null, scope: null, job: null, uploading: null };

const $ = (selector) => document.querySelector(selector);
const tr = (vi, en) => (state.lang === 'vi' ? vi : en);
const locale = () => (state.lang === 'vi' ? 'vi-VN' : 'en-GB');
const number = (n) => new Intl.NumberFormat(locale()).format(n);

/** An answer other than 2xx, with the server's sentence in the page's language when it gave both. */
class ApiError extends Error {
  constructor(status, body) {
    super(`${status}`);
    this.status = status;
    this.body = body || {};
  }

  sentence() {
    if (this.body.vi && this.body.en) return tr(this.body.vi, this.body.en);
    if (this.body.error) return this.body.error;
    return tr(`Máy chủ trả lời lỗi ${this.status}.`, `The server answered with error ${this.status}.`);
  }
}

async function call(url, options = {}) {
  const response = await fetch(url, { ...options, headers: { Authorization: `Bearer ${state.token}` } });
  if (response.status === 401) {
    showSignIn(tr('Mã truy cập không hợp lệ hoặc đã hết hạn.', 'The access token is invalid or has expired.'));
    throw new ApiError(401, {});
  }
  if (!response.ok) {
    let body = {};
    try { body = await response.json(); } catch { /* not JSON: the status says it */ }
    throw new ApiError(response.status, body);
  }
  return response;
}

/** Shows a sentence (role=alert); empty hides it. */
function showMessage(text) {
  $('#message').textContent = text || '';
  $('#message').hidden = !text;
}

function report(error) {
  if (error instanceof ApiError) {
    if (error.status !== 401) showMessage(error.sentence());
  } else {
    showMessage(tr('Không kết nối được với máy chủ. Hãy thử lại.', 'The server cannot be reached. Try again.'));
  }
}

function renderStatic() {
  document.documentElement.lang = state.lang;
  document.title = tr('Nhập bảng tính', 'Spreadsheet import');
  document.querySelectorAll('[data-vi]').forEach((el) => { el.textContent = tr(el.dataset.vi, el.dataset.en); });
  $('#lang').textContent = state.lang === 'vi' ? 'English' : 'Tiếng Việt';
  $('#lang').lang = state.lang === 'vi' ? 'en' : 'vi';
  if (state.scope) {
    const limit = number(Math.round(state.scope.maxUploadBytes / (1024 * 1024)));
    $('#upload-limit').textContent = tr(
      `Tệp .xlsx hoặc .csv, tối đa ${limit} MB. Mọi dòng được kiểm tra trước; chưa có gì được nhập cho đến khi bạn chọn nhập.`,
      `An .xlsx or .csv file of at most ${limit} MB. Every row is checked first; nothing is imported until you choose to import.`);
    const selected = $('#template-dataset').value;
    const sets = $('#template-dataset');
    sets.innerHTML = '';
    for (const d of state.scope.dataSets) sets.add(new Option(`${tr(d.nameVi, d.nameEn)} (${d.id})`, d.id));
    if (selected) sets.value = selected;
  }
  if (state.job) renderJob(state.job);
}

function setLanguage(lang) {
  state.lang = lang;
  const params = new URLSearchParams(location.search);
  if (lang === 'en') params.set('lang', 'en'); else params.delete('lang');
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}`);
  renderStatic();
}

// ---- 1. The template -------------------------------------------------------------------------

async function downloadTemplate(event) {
  event.preventDefault();
  showMessage('');
  const params = new URLSearchParams({
    unit: $('#template-unit').value,
    dataSet: $('#template-dataset').value,
    period: $('#template-period').value.trim(),
    format: $('#template-format').value,
    lang: state.lang,
  });
  try {
    const response = await call(`/api/import/template?${params}`);
    const blob = await response.blob();
    const disposition = response.headers.get('Content-Disposition') || '';
    const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = match ? decodeURIComponent(match[1]) : `bieu-mau.${$('#template-format').value}`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    $('#template-summary').textContent = decodeURIComponent(response.headers.get('Template-Summary') || '');
  } catch (error) {
    report(error);
  }
}

// ---- 2. The upload, with its own progress ---------------------------------------------------

function setProgress(label, done, total, percent) {
  $('#progress-section').hidden = false;
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  const bar = $('#progress');
  bar.setAttribute('aria-valuenow', String(value));
  bar.setAttribute('aria-valuetext', `${value} %`);
  bar.querySelector('.bar').style.width = `${value}%`;
  $('#progress-label').textContent = label;
  $('#progress-count').textContent = total > 0 ? `${number(done)} / ${number(total)} ${tr('dòng', total === 1 ? 'row' : 'rows')} (${value} %)` : `${value} %`;
}

function upload(event) {
  event.preventDefault();
  showMessage('');
  const file = $('#upload-file').files[0];
  if (!file) return;
  state.job = null;
  $('#result').hidden = true;
  const params = new URLSearchParams({ name: file.name, modified: String(file.lastModified), numbers: $('#upload-numbers').value, lang: state.lang });
  const request = new XMLHttpRequest();
  request.open('POST', `/api/import/uploads?${params}`);
  request.setRequestHeader('Authorization', `Bearer ${state.token}`);
  request.setRequestHeader('Content-Type', 'application/octet-stream');
  request.upload.addEventListener('progress', (e) => {
    if (e.lengthComputable) setProgress(tr(`Đang tải lên ${file.name}`, `Uploading ${file.name}`), 0, 0, (100 * e.loaded) / e.total);
  });
  request.addEventListener('load', () => {
    $('#upload-send').disabled = false;
    let body = {};
    try { body = JSON.parse(request.responseText); } catch { /* not JSON */ }
    if (request.status === 401) {
      showSignIn(tr('Mã truy cập không hợp lệ hoặc đã hết hạn.', 'The access token is invalid or has expired.'));
    } else if (request.status >= 200 && request.status < 300) {
      follow(body);
    } else {
      $('#progress-section').hidden = true;
      report(new ApiError(request.status, body));
    }
  });
  request.addEventListener('error', () => {
    $('#upload-send').disabled = false;
    $('#progress-section').hidden = true;
    report(new Error('network'));
  });
  $('#upload-send').disabled = true;
  setProgress(tr(`Đang tải lên ${file.name}`, `Uploading ${file.name}`), 0, 0, 0);
  request.send(file);
}

// ---- 3. The check and the import, followed until they end -----------------------------------

const RUNNING = ['counting', 'validating', 'importing'];

function follow(job) {
  state.job = job;
  renderJob(job);
  if (RUNNING.includes(job.phase)) {
    setTimeout(async () => {
      try {
        follow(await (await call(`/api/import/uploads/${job.id}`)).json());
      } catch (error) {
        report(error);
      }
    }, 400);
  }
}

function renderJob(job) {
  const percent = job.total > 0 ? (100 * job.done) / job.total : 0;
  switch (job.phase) {
    case 'counting':
      setProgress(tr(`Đang đọc ${job.fileName}`, `Reading ${job.fileName}`), 0, 0, 0);
      break;
    case 'validating':
      setProgress(tr(`Đang kiểm tra từng dòng của ${job.fileName}`, `Checking every row of ${job.fileName}`), job.done, job.total, percent);
      break;
    case 'importing':
      setProgress(tr(`Đang nhập ${job.fileName}`, `Importing ${job.fileName}`), job.done, job.total, percent);
      break;
    case 'validated':
      setProgress(tr(`Đã kiểm tra ${job.fileName}`, `Checked ${job.fileName}`), job.rows, job.rows, 100);
      break;
    case 'imported':
      setProgress(tr(`Đã nhập ${job.fileName}`, `Imported ${job.fileName}`), job.total, job.total, 100);
      break;
    default:
      $('#progress-section').hidden = true;
  }
  renderResult(job);
}

function renderResult(job) {
  const running = RUNNING.includes(job.phase);
  $('#result').hidden = running;
  $('#import-all').hidden = true;
  $('#import-valid').hidden = true;
  if (running) return;
  const summary = $('#result-summary');
  summary.className = '';
  let errors = job.errors;
  if (job.phase === 'failed') {
    summary.className = 'error';
    summary.textContent = job.failure ? tr(job.failure.vi, job.failure.en) : '';
    errors = [];
  } else if (job.phase === 'imported') {
    const parts = [tr(
      `Đã nhập ${number(job.accepted)} báo cáo, ${number(job.duplicates)} báo cáo đã nhập từ trước, ${number(job.rejected)} báo cáo bị từ chối.`,
      `${number(job.accepted)} ${job.accepted === 1 ? 'report' : 'reports'} imported, ${number(job.duplicates)} already imported before, ${number(job.rejected)} rejected.`)];
    if (job.blankRows > 0) parts.push(tr(`Bỏ qua ${number(job.blankRows)} dòng không có giá trị.`, `${number(job.blankRows)} rows without values skipped.`));
    if (job.badRows > 0) parts.push(tr(`Không nhập ${number(job.badRows)} dòng có lỗi.`, `${number(job.badRows)} rows with errors not imported.`));
    summary.textContent = parts.join(' ');
    errors = job.refused;
  } else if (job.headerRefused) {
    summary.className = 'error';
    summary.textContent = tr(
      `${number(job.errorCount)} lỗi ở dòng tiêu đề; chưa kiểm tra các dòng số liệu. Chưa nhập gì: hãy sửa dòng tiêu đề rồi tải lên lại.`,
      `${number(job.errorCount)} ${job.errorCount === 1 ? 'error' : 'errors'} in the header; the data rows were not checked. Nothing was imported: correct the header and upload again.`);
  } else if (job.errorCount > 0) {
    summary.className = 'error';
    summary.textContent = tr(
      `${number(job.errorCount)} lỗi ở ${number(job.badRows)} trong số ${number(job.rows)} dòng. Chưa nhập gì. Hãy sửa tệp và tải lên lại, hoặc chỉ nhập các dòng hợp lệ.`,
      `${number(job.errorCount)} ${job.errorCount === 1 ? 'error' : 'errors'} in ${number(job.badRows)} of ${number(job.rows)} rows. Nothing was imported. Correct the file and upload it again, or import the valid rows only.`);
    if (job.validRows > 0) {
      const valid = $('#import-valid');
      valid.hidden = false;
      valid.textContent = tr(`Chỉ nhập ${number(job.validRows)} dòng hợp lệ`, `Import the ${number(job.validRows)} valid rows only`);
    }
  } else {
    summary.textContent = tr(
      `Tệp hợp lệ: ${number(job.validRows)} dòng có số liệu${job.blankRows > 0 ? `, ${number(job.blankRows)} dòng trống sẽ được bỏ qua` : ''}. Chưa nhập gì.`,
      `The file is valid: ${number(job.validRows)} rows with values${job.blankRows > 0 ? `, ${number(job.blankRows)} empty rows will be skipped` : ''}. Nothing has been imported yet.`);
    $('#import-all').hidden = job.validRows === 0;
  }
  renderErrors(errors, job);
}

function renderErrors(errors, job) {
  $('#errors-block').hidden = errors.length === 0;
  const body = $('#errors tbody');
  body.innerHTML = '';
  for (const e of errors) {
    const row = body.insertRow();
    row.dataset.row = String(e.row);
    row.dataset.column = e.columnId;
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = String(e.row);
    row.append(th);
    row.insertCell().textContent = e.column;
    row.insertCell().textContent = tr(e.vi, e.en);
  }
  $('#errors-caption').textContent = job.phase === 'imported'
    ? tr('Các dòng bị từ chối khi nhập', 'Rows refused when imported')
    : tr('Lỗi theo dòng và cột', 'Errors by row and column');
  const more = job.phase === 'imported' ? 0 : job.errorCount - errors.length;
  $('#errors-more').textContent = more > 0 ? tr(`… và ${number(more)} lỗi khác.`, `… and ${number(more)} more.`) : '';
}

async function startImport(validOnly) {
  showMessage('');
  $('#import-all').disabled = true;
  $('#import-valid').disabled = true;
  try {
    const response = await call(`/api/import/uploads/${state.job.id}/import?validOnly=${validOnly}&lang=${state.lang}`, { method: 'POST' });
    follow(await response.json());
  } catch (error) {
    report(error);
  } finally {
    $('#import-all').disabled = false;
    $('#import-valid').disabled = false;
  }
}

async function start() {
  const params = new URLSearchParams(location.search);
  state.lang = params.get('lang') === 'en' ? 'en' : 'vi';
  renderStatic();
  $('#lang').addEventListener('click', () => setLanguage(state.lang === 'vi' ? 'en' : 'vi'));
  state.token = signedInToken();
  if (!state.token) return;
  try {
    state.scope = await (await call('/api/import/scope')).json();
  } catch (error) {
    report(error);
    return;
  }
  const units = $('#template-unit');
  for (const u of state.scope.units) units.add(new Option(`${u.name} (${u.code})`, u.code));
  $('#template-period').value = state.scope.defaultPeriod;
  renderStatic();
  $('#template-form').addEventListener('submit', downloadTemplate);
  $('#upload-form').addEventListener('submit', upload);
  $('#import-all').addEventListener('click', () => startImport(false));
  $('#import-valid').addEventListener('click', () => startImport(true));
}

start();
