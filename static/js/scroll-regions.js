// A wide table's scroll region takes the focus only when it overflows: a keyboard user
// can then scroll it, and meets no extra stop where the table fits.
(function () {
  function update() {
    document.querySelectorAll(".table-scroll").forEach(function (region) {
      if (region.scrollWidth > region.clientWidth + 1) {
        region.setAttribute("tabindex", "0");
      } else {
        region.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", update);
  window.addEventListener("resize", update);
})();
