/* RCC pages: a little plain JavaScript, no libraries. Everything works without it; it adds
   focus on the error summary and polling for long work (jobs) and offer status. */
(function () {
  "use strict";
  var TERMINAL = ["succeeded", "failed", "cancelled"];

  function focusErrors() {
    var summary = document.querySelector("[data-focus]");
    if (summary) { summary.focus(); }
  }

  function pollJob(el) {
    var url = el.getAttribute("data-poll");
    var done = el.getAttribute("data-done");
    var delay = 1000;
    function again(ms) { window.setTimeout(tick, ms); }
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.status >= 500 || r.status === 429) {
            // busy or briefly unavailable: keep polling, as often as Retry-After asks
            var wait = parseInt(r.headers.get("Retry-After"), 10);
            again(Math.max(1000, (isNaN(wait) ? 5 : wait) * 1000));
            return;
          }
          if (!r.ok) {  // signed out, or the job is not ours: stop, and offer the page itself
            var p = document.createElement("p"), a = document.createElement("a");
            p.className = "progress__text";
            p.textContent = "Progress is not available here. ";
            a.href = done;
            a.textContent = "Reload the page";
            p.appendChild(a);
            el.replaceChildren(p);
            return;
          }
          var status = r.headers.get("X-Job-Status");
          return r.text().then(function (html) {
            el.innerHTML = html;
            if (TERMINAL.indexOf(status) >= 0) { window.location.assign(done); return; }
            delay = Math.min(delay * 1.3, 5000);
            again(delay);
          });
        })
        .catch(function () { again(5000); });
    }
    again(500);
  }

  function refreshPart(el) {
    var seconds = parseInt(el.getAttribute("data-refresh"), 10) || 10;
    window.setInterval(function () {
      fetch(el.getAttribute("data-refresh-url"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html !== null && html !== el.innerHTML) { el.innerHTML = html; }
        })
        .catch(function () { /* try again next time */ });
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrors();
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), pollJob);
    Array.prototype.forEach.call(document.querySelectorAll("[data-refresh]"), refreshPart);
  });
})();
