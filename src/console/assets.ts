// The console's two static files, served from the bundle (no CDN, works offline): its style sheet (with
// the history picture's) and its one script. The script only refreshes the parts of a page marked
// data-live from the server's HTML (escaped there; the CSP allows no inline script either way): every
// action is a plain form POST, so the console works without it. Bounded: one request per part at a
// time, every data-refresh ms (5 s), backing off to a minute while the server does not answer, and
// none while the tab is hidden.
import { HISTORY_STYLE } from '../report/history-html.ts';

export const CONSOLE_JS = `'use strict';
(function () {
  var parts = Array.prototype.slice.call(document.querySelectorAll('[data-live]'));
  if (parts.length === 0) return;
  var status = document.getElementById('live-status');
  var every = Number(document.body.getAttribute('data-refresh')) || 5000;
  var failures = 0;
  function say(text, bad) {
    if (!status) return;
    status.textContent = text;
    status.className = bad ? 'bad' : '';
  }
  function load(part) {
    return fetch(part.getAttribute('data-live'), { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(function (text) {
        part.innerHTML = text;
      });
  }
  function refresh() {
    if (document.hidden) return schedule();
    Promise.all(parts.map(load)).then(
      function () {
        failures = 0;
        say('live · updated ' + new Date().toLocaleTimeString(), false);
        schedule();
      },
      function (err) {
        failures++;
        say('not updated: ' + err.message + ' (retrying)', true);
        schedule();
      },
    );
  }
  function schedule() {
    setTimeout(refresh, Math.min(60000, every * Math.pow(2, Math.min(failures, 4))));
  }
  say('live', false);
  schedule();
})();
`;

const CONSOLE_STYLE = `
body { max-width: 1200px; }
header { display: flex; gap: 16px; align-items: baseline; border-bottom: 1px solid #ddd; padding-bottom: 6px; }
header .home { font-weight: 600; color: #222; text-decoration: none; }
#live-status { color: #15803d; font-size: 12px; } #live-status.bad { color: #b91c1c; }
h1 small, h2 small { font-weight: normal; color: #666; font-size: 13px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; vertical-align: top; font-size: 13px; }
th { background: #f8fafc; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.error td { background: #fef2f2; } tr.stale td { background: #fffbeb; } tr.paused td { color: #555; }
tr.breach td, tr.warning td { color: #b91c1c; } td.reason { max-width: 420px; }
.chip { display: inline-block; background: #eef2ff; border-radius: 3px; padding: 0 4px; margin: 1px 0; }
.flag { color: #b45309; font-weight: 600; } .error-text { color: #b91c1c; }
.flash { padding: 8px 10px; border-radius: 4px; white-space: pre-wrap; }
.flash.ok { background: #f0fdf4; border: 1px solid #86efac; }
.flash.error { background: #fef2f2; border: 1px solid #fca5a5; }
.flash.warn { background: #fffbeb; border: 1px solid #fcd34d; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; margin: 8px 0; }
dl.facts dt { color: #555; } dl.facts dd { margin: 0; font-weight: 600; }
form.action { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
form.action small { color: #666; } label.check { font-weight: normal; }
button { font: inherit; padding: 3px 12px; cursor: pointer; } button.danger { color: #b91c1c; }
fieldset { border: 0; padding: 0; margin: 0; } fieldset[disabled] { opacity: 0.5; }
pre.json { background: #f8fafc; border: 1px solid #e5e7eb; padding: 8px; max-height: 420px; overflow: auto;
  font-size: 12px; }
.meta, .hint { color: #555; }
`;

export const CONSOLE_CSS = `${HISTORY_STYLE}${CONSOLE_STYLE}`;
