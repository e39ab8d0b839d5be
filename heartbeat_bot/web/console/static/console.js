// Reload the page when what it shows has changed (polled every few seconds), unless the
// person is typing in a form.
(function () {
  "use strict";
  var shown = document.body.getAttribute("data-version");
  if (!shown) { return; }
  var live = document.getElementById("live");
  function busy() {
    var active = document.activeElement;
    return active && (active.tagName === "INPUT" || active.tagName === "SELECT") && active.value;
  }
  function poll() {
    fetch("/changes", { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) {
        if (answer.status === 401) { window.location.assign("/login?expired=1"); return null; }
        return answer.ok ? answer.json() : null;
      })
      .then(function (data) {
        if (!data || data.version === shown) { return; }
        if (busy()) { if (live) { live.textContent = "Updated: reload to see the changes."; } return; }
        window.location.reload();
      })
      .catch(function () { /* the service restarts: try again at the next tick */ });
  }
  window.setInterval(poll, 2000);
})();
