// What the four pages (dashboard, data entry, upload, review and approval) share, loaded before
// each page's own script: the sign-in token, Vietnam time, and the links between the pages.
'use strict';

// ----- Sign-in ----------------------------------------------------------------------------------
// The access token arrives once in the address's fragment (#token=…, never sent to the server),
// then lives in this tab's session storage, so following a link to another page keeps the sign-in.
// The dashboard's event stream cannot send headers, so it alone carries the token in its query string.
const TOKEN_KEY = 'aggregation.token';

function readToken() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/**
 * The token this tab signed in with, or null after showing the sign-in form: a token pasted there
 * is kept like one from the address, and the page starts again with it.
 */
function signedInToken() {
  document.querySelector('#signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.querySelector('#signin-token').value.trim());
    location.reload();
  });
  const token = readToken();
  if (!token) showSignIn('');
  return token;
}

/** The claims of a token (its scope: the `unit` claims), read without checking it: the server does that. */
function tokenClaims(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

/** Forgets the token and shows the sign-in form with <message> (in the page's language) instead of the page. */
function showSignIn(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  document.querySelector('#signin').hidden = false;
  document.querySelector('#signin-message').textContent = message || '';
  document.querySelector('main').hidden = true;
}

/** A moment as the officers read it, in Vietnam time: dd/MM/yyyy HH:mm (each page adds the zone in its language). */
function vietnamClock(iso) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

// ----- The links between the pages ----------------------------------------------------------------
// Written into each page's <nav id="pages">. They follow the page's language: the text, the address
// (?lang=en) and the label, whenever <html lang> changes.

(() => {
  const PAGES = [
    ['index.html', 'Theo dõi chỉ tiêu', 'Targets'],
    ['entry.html', 'Nhập số liệu', 'Data entry'],
    ['upload.html', 'Tải tệp lên', 'Upload a file'],
    ['review.html', 'Xem xét và phê duyệt', 'Review and approval'],
  ];
  const nav = document.getElementById('pages');
  if (!nav) return;
  const here = location.pathname.split('/').pop() || 'index.html';
  const list = document.createElement('ul');
  const links = PAGES.map(([file, vi, en]) => {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.dataset.vi = vi;
    link.dataset.en = en;
    link.textContent = vi;
    link.dataset.file = file;
    if (file === here) link.setAttribute('aria-current', 'page');
    item.append(link);
    list.append(item);
    return link;
  });
  nav.append(list);

  function follow() {
    const english = document.documentElement.lang === 'en';
    nav.setAttribute('aria-label', english ? 'Pages' : 'Các trang');
    for (const link of links) {
      link.href = english ? `${link.dataset.file}?lang=en` : link.dataset.file;
      link.textContent = english ? link.dataset.en : link.dataset.vi;
    }
  }
  follow();
  new MutationObserver(follow).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
})();
