/* The presiding officer's live view of a vote, refreshed every few seconds while it is
   open: the counts of a named vote; for a secret vote only how many have voted (its count
   stays sealed until closing, when the page reloads to show it). */
(function () {
  "use strict";
  var box = document.getElementById("decompte");
  if (!box || !box.dataset.url || !window.fetch) { return; }
  var line = box.querySelector("p");
  var template = line.textContent;
  var sealed = box.dataset.sealed === "1";
  function show(numbers, suffix) {
    var index = 0;
    line.textContent = template.replace(/\d+/g, function () { return String(numbers[index++]); }) +
      suffix;
  }
  function refresh() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (sealed && !data.sealed) { window.location.reload(); return; }
        if (data.sealed) {
          show([data.ballots, data.expected], "");
        } else {
          show([data["for"], data.against, data.abstain], " (" + data.ballots + " / " + data.expected + ")");
        }
        if (data.status === "open") { window.setTimeout(refresh, 4000); }
      })
      .catch(function () { window.setTimeout(refresh, 8000); });
  }
  window.setTimeout(refresh, 4000);
})();
