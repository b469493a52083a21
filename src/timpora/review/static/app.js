// Keyboard shortcuts of the review app (served by the app: the CSP allows no inline
// script). j/k move through the queue, Enter or o opens, n/p next/previous flag, c claims,
// x goes to the close form, u back to the queue, ? shows the help. Keys typed into a form
// field are the field's.
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.flag-row")); }
  function select(index) {
    var all = rows();
    if (!all.length) { return; }
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row) { row.classList.remove("selected"); row.removeAttribute("aria-selected"); });
    var row = all[index];
    row.classList.add("selected");
    row.setAttribute("aria-selected", "true");
    var link = row.querySelector("a.flag-link");
    if (link) { link.focus(); }
  }
  function current() { return rows().findIndex(function (row) { return row.classList.contains("selected"); }); }
  function click(id) { var el = document.getElementById(id); if (el) { el.click(); return true; } return false; }
  document.addEventListener("DOMContentLoaded", function () {
    var help = document.getElementById("shortcuts");
    var button = document.getElementById("shortcuts-button");
    if (button && help) { button.addEventListener("click", function () { help.showModal(); }); }
    // On a phone the filters fold away (one tap opens them) so the flags are on screen.
    var filters = document.getElementById("filter-box");
    if (filters && window.matchMedia("(max-width: 720px)").matches && !filters.dataset.filtered) {
      filters.open = false;
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var help = document.getElementById("shortcuts");
    var key = event.key;
    var handled = true;
    if (key === "?") { if (help) { help.showModal(); } }
    else if (key === "j") { select(current() + 1); }
    else if (key === "k") { select(current() < 0 ? 0 : current() - 1); }
    else if (key === "o" || (key === "Enter" && current() >= 0 && document.activeElement === document.body)) {
      var row = rows()[current()];
      if (row && row.dataset.href) { window.location.href = row.dataset.href; }
    }
    else if (key === "n") { handled = click("next-flag") || click("next-page"); }
    else if (key === "p") { handled = click("previous-flag") || click("prev-page"); }
    else if (key === "c") { handled = click("claim"); }
    else if (key === "x") {
      var field = document.getElementById("disposition");
      if (field) { field.focus(); } else { handled = false; }
    }
    else if (key === "u") { handled = click("back-to-queue"); }
    else { handled = false; }
    if (handled) { event.preventDefault(); }
  });
})();
