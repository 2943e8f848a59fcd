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
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          var status = r.headers.get("X-Job-Status");
          return r.text().then(function (html) { return [status, html, r.ok]; });
        })
        .then(function (res) {
          if (!res[2]) { return; }
          el.innerHTML = res[1];
          if (TERMINAL.indexOf(res[0]) >= 0) { window.location.assign(done); return; }
          delay = Math.min(delay * 1.3, 5000);
          window.setTimeout(tick, delay);
        })
        .catch(function () { window.setTimeout(tick, 5000); });
    }
    window.setTimeout(tick, 500);
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
