// Runs in the page (book_check/pagecheck.py): waits for the load, MathJax and every image, then reports
// what it found through WebDriver's async-script callback.
const done = arguments[arguments.length - 1];
const sleep = ms => new Promise(r => setTimeout(r, ms));
const describe = el => {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  const src = el.getAttribute('src') || el.getAttribute('href');
  if (src) s += '[' + (el.tagName === 'LINK' ? 'href' : 'src') + '="' + src.slice(0, 120) + '"]';
  const sec = el.closest('section[id]');
  if (sec) s += ' in section #' + sec.id;
  return s;
};
(async () => {
  const t0 = performance.now();
  while (document.readyState !== 'complete' && performance.now() - t0 < 60000) await sleep(50);
  let mathjax = 'absent';
  if (window.MathJax && MathJax.startup) {
    while (!MathJax.startup.promise && performance.now() - t0 < 60000) await sleep(50);
    try { await MathJax.startup.promise; mathjax = 'done'; }
    catch (e) { mathjax = 'failed: ' + e; }
  } else if (window.MathJax) {
    mathjax = 'configured but not loaded';
  }
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map(img => {
    img.loading = 'eager';
    if (img.complete) return Promise.resolve();
    return new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r);
                              setTimeout(r, 20000); });
  }));
  if (document.fonts) await document.fonts.ready;
  const badFonts = document.fonts ? Array.from(document.fonts).filter(f => f.status === 'error')
                                         .map(f => f.family + ' ' + f.style + ' ' + f.weight) : [];
  const badImages = imgs.filter(i => !i.complete || i.naturalWidth === 0).map(describe);
  const maths = Array.from(document.querySelectorAll('span.math, div.math'));
  const unrendered = maths.filter(m => !m.querySelector('mjx-container'))
                          .map(m => describe(m) + ': ' + m.textContent.trim().slice(0, 80));
  const merrors = Array.from(document.querySelectorAll('mjx-merror'))
                       .map(m => describe(m) + ': ' + (m.getAttribute('data-mjx-error') || m.textContent).slice(0, 80));
  // visible text outside code and rendered math
  const main = document.querySelector('main, article, [role=main]') || document.body;
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, mjx-assistive-mml, .MathJax, textarea')
       .forEach(e => e.remove());
  const text = clone.textContent || '';
  const leftovers = [];
  const re = /\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\\(?:frac|mathbf|mathcal|mathrm|operatorname|sum|log|mid|alpha|beta|gamma|mu|sigma|theta|phi|lambda|left|right|hat|tilde|mathbb)\b/g;
  let m;
  while ((m = re.exec(text)) && leftovers.length < 5)
    leftovers.push('"' + text.slice(Math.max(0, m.index - 40), m.index + 40).replace(/\s+/g, ' ') + '"');
  const remoteRefs = [];
  const origin = location.origin;
  const isLocal = u => { try { const x = new URL(u, location.href);
      return x.origin === origin || ['data:', 'blob:', 'about:'].includes(x.protocol) ||
             (location.protocol === 'file:' && x.protocol === 'file:'); } catch (e) { return false; } };
  document.querySelectorAll('script[src], link[href], img[src], iframe[src], source[src], video[src], audio[src], embed[src], object[data]')
    .forEach(el => {
      if (el.tagName === 'LINK' && !/stylesheet|preload|icon|modulepreload|prefetch/.test(el.rel)) return;
      const u = el.getAttribute('src') || el.getAttribute('href') || el.getAttribute('data');
      if (!isLocal(u)) remoteRefs.push(describe(el));
    });
  document.querySelectorAll('script:not([src])').forEach(el => {
    const hit = (el.textContent.match(/https?:\/\/[^\s"'`)]+/g) || []).filter(u => !isLocal(u));
    if (hit.length) remoteRefs.push('inline <script> naming ' + hit.slice(0, 3).join(', '));
  });
  const resources = performance.getEntriesByType('resource').map(e => e.name);
  const remoteLoads = resources.filter(u => !isLocal(u));
  const inMain = sel => main.querySelectorAll(sel).length;
  // plumbing: a code cell's source the reader sees without asking (book/_ext/reading.py folds them all)
  const shown = el => (el.checkVisibility ? el.checkVisibility() : el.getClientRects().length > 0);
  const visibleCode = Array.from(main.querySelectorAll('.cell_input')).filter(shown)
                           .map(e => describe(e) + ': ' + e.textContent.trim().slice(0, 60));
  // a table wider than the text column it sits in (it would scroll or run past the column)
  const column = document.querySelector('.bd-article') || main;
  const columnWidth = column.clientWidth;
  const wideTables = Array.from(main.querySelectorAll('table')).filter(shown)
                          .filter(t => t.getBoundingClientRect().width > columnWidth + 1)
                          .map(t => describe(t) + ': ' + Math.round(t.getBoundingClientRect().width) + ' px');
  done({
    title: document.title, url: location.href, mathjax,
    icon: document.querySelectorAll('link[rel~=icon]').length,
    images: imgs.length, mainImages: inMain('img'), tables: inMain('table'),
    textLength: text.trim().length,
    h1: inMain('h1'), math: maths.length, mjx: document.querySelectorAll('mjx-container').length,
    badImages, badFonts, unrendered, merrors, leftovers, remoteRefs, remoteLoads, resources: resources.length,
    visibleCode, wideTables, columnWidth,
  });
})().catch(e => done({error: String(e && e.stack || e)}));
