// The progress of a meeting's documents (or of one document's file) being made: asks the status URL
// every two seconds, moves the bar (a single file's bar stays full and animated: data-indeterminate),
// and reloads the page once it is done or failed (no inline script: strict CSP).
(function () {
  var box = document.querySelector("[data-batch-status]");
  if (!box) { return; }
  var bar = box.querySelector(".progress-bar");
  var count = box.querySelector("[data-batch-count]");
  var indeterminate = box.hasAttribute("data-indeterminate");
  // No style attribute in the page (strict CSP): the bar's first width is set from here.
  bar.style.width = box.querySelector("[aria-valuenow]").getAttribute("aria-valuenow") + "%";
  function poll() {
    fetch(box.dataset.batchStatus, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 5000); return; }
        if (!indeterminate) {
          var percent = data.total ? Math.round(100 * data.done / data.total) : 0;
          bar.style.width = percent + "%";
          bar.setAttribute("aria-valuenow", String(percent));
          count.textContent = data.done + "/" + data.total;
        }
        if (data.status === "done" || data.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
