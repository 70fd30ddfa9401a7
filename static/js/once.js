/* A form is sent once: a second press of its button while the page is leaving is
   ignored (the server drops repeats too, see accounts.once). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.querySelector("input[name=form_once]")) { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sent]"), function (form) {
      delete form.dataset.sent;
    });
  });
})();
