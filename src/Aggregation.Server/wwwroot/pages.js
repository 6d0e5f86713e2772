// The links between the four pages (dashboard, data entry, upload, review and approval), written
// into each page's <nav id="pages">. They follow the page's language: the text through the page's
// own [data-vi] rendering, the address (?lang=en) and the label here, whenever <html lang> changes.
// The access token lives in the tab's session storage, so following a link keeps the sign-in.
'use strict';

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
