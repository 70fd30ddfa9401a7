/* The chair's live tally: refreshes the counts every few seconds while the vote is open. */
(function () {
  "use strict";
  var box = document.getElementById("decompte");
  if (!box || !window.fetch) { return; }
  var line = box.querySelector("p");
  var template = line.textContent;
  function refresh() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var numbers = [data["for"], data.against, data.abstain];
        var index = 0;
        line.textContent = template.replace(/\d+/g, function () { return String(numbers[index++]); }) +
          " (" + data.ballots + " / " + data.expected + ")";
        if (data.status === "open") { window.setTimeout(refresh, 4000); }
      })
      .catch(function () { window.setTimeout(refresh, 8000); });
  }
  window.setTimeout(refresh, 4000);
})();
