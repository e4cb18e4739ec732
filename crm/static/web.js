// Consultant workspace: small progressive enhancements (the pages work without them).
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="lead_ids"]').forEach(function (box) { box.checked = all.checked; });
    });
  }
  // On a phone the filter form folds away, filters in use or not (a stream tab is one): open, it fills the
  // first screen and pushes the leads below it. Its summary counts the filters in use.
  var filters = document.querySelector("details.filters");
  if (filters && window.matchMedia("(max-width: 640px)").matches) {
    filters.open = false;
  }
  var tabs = document.querySelector("[data-counts-url]");
  // The tabs are one row that scrolls sideways on a phone: bring the current one into view.
  var current = tabs && tabs.querySelector('[aria-current="page"]');
  if (current && tabs.scrollWidth > tabs.clientWidth) {
    tabs.scrollLeft += current.getBoundingClientRect().left - tabs.getBoundingClientRect().left - 16;
  }
  if (tabs && window.fetch) {
    fetch(tabs.getAttribute("data-counts-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        tabs.querySelectorAll("[data-count-for]").forEach(function (span) {
          var n = body.counts[span.getAttribute("data-count-for")] || 0;
          span.textContent = n > body.cap ? body.cap.toLocaleString() + "+" : String(n);
          if (!n) { span.parentElement.classList.add("zero"); }
        });
      })
      .catch(function () { /* counts are a nicety; the queue works without them */ });
  }
  // "← Queue" on a lead page goes back to the queue as the consultant left it (stream, filters, search,
  // page), remembered for this tab, also after the lead page's own actions; it went to the default queue.
  var queueLink = document.querySelector("a[data-queue-link]");
  var queuePath = queueLink && new URL(queueLink.href, location.href).pathname;
  try {
    if (queuePath && location.pathname === queuePath) {
      sessionStorage.setItem("crm-queue-url", location.pathname + location.search);
    }
    var back = document.querySelector("a[data-back-to-queue]");
    var saved = sessionStorage.getItem("crm-queue-url");
    if (back && saved && queuePath && (saved === queuePath || saved.indexOf(queuePath + "?") === 0)) {
      back.setAttribute("href", saved);
    }
  } catch (e) { /* storage turned off: the plain link to the queue */ }
})();
