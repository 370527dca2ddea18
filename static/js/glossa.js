// Small behaviours for every page; nothing here is needed for a page to work.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  onReady(function () {
    var toggle = document.querySelector(".nav-toggle");
    var links = document.getElementById("nav-links");
    if (toggle && links) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", String(!open));
        links.classList.toggle("open", !open);
      });
    }
  });

  // Filters apply as soon as they change.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof HTMLElement && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.requestSubmit();
    }
  });

  // A swap that replaces the element holding the focus would drop it to <body>, and a
  // keyboard user back to the top of the page: move it to what came in instead. (htmx itself
  // puts it back when the new content has an element with the focused one's id.)
  var swapHadFocus = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    swapHadFocus = target && target.id && target.contains(document.activeElement) ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var id = swapHadFocus, active = document.activeElement;
    swapHadFocus = null;
    if (!id || (active && active !== document.body && active.isConnected)) return;
    var swapped = document.getElementById(id);
    if (!swapped) return;
    var into = swapped.querySelector("h1, h2, h3") || swapped;
    if (!into.matches("a[href], button, input, select, textarea, [tabindex]")) into.tabIndex = -1;
    into.focus({ preventScroll: true }); // it is where the old content was
  });

  // Invitation links and tokens: one click selects the whole value, ready to copy.
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.classList.contains("copy-field")) {
      target.select();
    }
  });
})();
