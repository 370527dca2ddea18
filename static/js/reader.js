// The reader: turn a selection into code-point offsets, offer the annotation toolbar,
// open the panel for a highlight, and poll for other members' changes.
//
// Offsets: every block (<p>, <h2>) carries data-start, the code-point offset of its first
// character in the revision's text. Elements marked data-nontext (page numbers, footnote
// marks, paragraph numbers) are not part of the text and are skipped. Browsers count UTF-16
// units; Glossa counts code points (the W3C TextPositionSelector rule), so characters
// outside the BMP count once.
(function () {
  "use strict";

  var article = document.querySelector("article.reading[data-changes]");
  if (!article) return;
  var toolbar = document.getElementById("selection-toolbar");
  var canAnnotate = Boolean(article.dataset.annotate);
  var current = null; // {start, end}
  var reattachUrl = null; // set by an orphan's "Re-attach" button

  function codePoints(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        var d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      n++;
    }
    return n;
  }

  function isNonText(node) {
    for (var el = node.nodeType === 1 ? node : node.parentElement; el && el !== article; el = el.parentElement) {
      if (el.hasAttribute("data-nontext")) return true;
    }
    return false;
  }

  function blockOf(node) {
    var el = node.nodeType === 1 ? node : node.parentElement;
    return el ? el.closest("[data-start]") : null;
  }

  // The code-point offset in the revision's text of (node, offset) inside a block.
  function textOffset(node, offset) {
    var block = blockOf(node);
    if (!block || !article.contains(block)) return null;
    var total = parseInt(block.getAttribute("data-start"), 10);
    var walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    var target = node;
    if (node.nodeType === 1) {
      // A boundary between children: count the text of the children before it.
      var probe = document.createRange();
      probe.setStart(block, 0);
      probe.setEnd(node, offset);
      var t;
      while ((t = walker.nextNode())) {
        if (!probe.intersectsNode(t) || isNonText(t)) continue;
        var whole = document.createRange();
        whole.selectNodeContents(t);
        if (probe.compareBoundaryPoints(Range.END_TO_END, whole) >= 0) total += codePoints(t.data);
      }
      return total;
    }
    var text;
    while ((text = walker.nextNode())) {
      if (text === target) {
        return total + (isNonText(text) ? 0 : codePoints(text.data.slice(0, offset)));
      }
      if (!isNonText(text)) total += codePoints(text.data);
    }
    return null;
  }

  function selectionRange() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var range = sel.getRangeAt(0);
    if (!article.contains(range.commonAncestorContainer)) return null;
    var start = textOffset(range.startContainer, range.startOffset);
    var end = textOffset(range.endContainer, range.endOffset);
    if (start === null || end === null || end <= start) return null;
    return { start: start, end: end, rect: range.getBoundingClientRect() };
  }

  function showToolbar(found) {
    current = found;
    if (!found || !canAnnotate) {
      toolbar.hidden = true;
      return;
    }
    toolbar.hidden = false;
    var top = window.scrollY + found.rect.top - toolbar.offsetHeight - 8;
    var left = window.scrollX + found.rect.left + found.rect.width / 2 - toolbar.offsetWidth / 2;
    toolbar.style.top = Math.max(window.scrollY + 4, top) + "px";
    toolbar.style.left = Math.max(4, left) + "px";
  }

  function onSelectionEnd() {
    window.setTimeout(function () { showToolbar(selectionRange()); }, 0);
  }

  document.addEventListener("mouseup", onSelectionEnd);
  document.addEventListener("touchend", onSelectionEnd);
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey || event.key === "Shift") onSelectionEnd();
  });

  function act(kind) {
    if (!current) return;
    var values = { start: current.start, end: current.end, kind: kind, base: article.dataset.revision };
    var url = article.dataset.annotate;
    if (kind === "reattach" && reattachUrl) {
      htmx.ajax("POST", reattachUrl, { target: "#panel", swap: "innerHTML", values: values });
      reattachUrl = null;
      toolbar.querySelector("[data-kind=reattach]").hidden = true;
    } else if (kind === "highlight") {
      htmx.ajax("POST", url, { target: "#panel", swap: "innerHTML", values: values });
    } else {
      htmx.ajax("GET", article.dataset.composer, { target: "#panel", swap: "innerHTML", values: values });
    }
    window.getSelection().removeAllRanges();
    showToolbar(null);
  }

  toolbar.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-kind]");
    if (button) act(button.dataset.kind);
  });
  // Keep the selection when the toolbar is pressed.
  toolbar.addEventListener("mousedown", function (event) { event.preventDefault(); });

  var shortcuts = { h: "highlight", c: "comment", q: "question", k: "claim", a: "reattach" };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) return;
    var kind = shortcuts[event.key];
    if (kind && !toolbar.hidden) {
      event.preventDefault();
      act(kind);
    } else if (event.key === "Escape") {
      showToolbar(null);
    }
  });

  // A highlight: click or Enter opens every annotation covering that point. Marks carry no
  // offsets (neighbours that look alike are merged): the point is found from the DOM.
  function openAt(offset) {
    if (offset === null) return;
    htmx.ajax("GET", article.dataset.at.replace(/0\/$/, offset + "/"), { target: "#panel", swap: "innerHTML" });
  }
  function pointOffset(event, mark) {
    var pos = document.caretPositionFromPoint ? document.caretPositionFromPoint(event.clientX, event.clientY) : null;
    if (pos && mark.contains(pos.offsetNode)) return textOffset(pos.offsetNode, pos.offset);
    var range = document.caretRangeFromPoint ? document.caretRangeFromPoint(event.clientX, event.clientY) : null;
    if (range && mark.contains(range.startContainer)) return textOffset(range.startContainer, range.startOffset);
    return markOffset(mark);
  }
  function markOffset(mark) {
    var first = document.createTreeWalker(mark, NodeFilter.SHOW_TEXT).nextNode();
    return first ? textOffset(first, 0) : null;
  }
  article.addEventListener("click", function (event) {
    var mark = event.target.closest("mark.hl");
    var sel = window.getSelection();
    if (mark && (!sel || sel.isCollapsed)) openAt(pointOffset(event, mark));
  });

  // Keyboard: one highlight at a time is in the tab order (roving tabindex); arrow keys move
  // between highlights, Enter opens the focused one.
  var marks = function () { return Array.prototype.slice.call(article.querySelectorAll("mark.hl")); };
  function rove() {
    var all = marks();
    if (all.length && !all.some(function (m) { return m.tabIndex === 0; })) all[0].tabIndex = 0;
  }
  rove();
  document.body.addEventListener("htmx:afterSettle", rove);
  document.body.addEventListener("glossa:changed", rove);
  article.addEventListener("keydown", function (event) {
    var mark = event.target.closest && event.target.closest("mark.hl");
    if (!mark) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openAt(markOffset(mark));
    } else if (event.key === "ArrowRight" || event.key === "ArrowDown" || event.key === "ArrowLeft" || event.key === "ArrowUp") {
      var all = marks();
      var next = all[all.indexOf(mark) + (event.key === "ArrowRight" || event.key === "ArrowDown" ? 1 : -1)];
      if (next) {
        event.preventDefault();
        mark.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      }
    }
  });

  // The side panel: close it; re-attach an orphan to the next selection.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-panel]")) {
      document.getElementById("panel").innerHTML = "";
      return;
    }
    var orphan = event.target.closest("[data-reattach]");
    if (orphan) {
      reattachUrl = orphan.getAttribute("data-reattach");
      toolbar.querySelector("[data-kind=reattach]").hidden = false;
      orphan.textContent = "Now select the words in the text, then press “Attach here” (a).";
    }
  });

  // Live: ask for changes since the last answer; the server answers 204 when there are none.
  var since = article.dataset.since;
  function poll() {
    if (document.hidden) return;
    fetch(article.dataset.changes + "?since=" + encodeURIComponent(since) + "&" + window.location.search.slice(1), {
      headers: { "HX-Request": "true" }, credentials: "same-origin",
    }).then(function (response) {
      var next = response.headers.get("X-Glossa-Since");
      if (next) since = next;
      if (response.status !== 200) return null;
      return response.text();
    }).then(function (html) {
      if (!html) return;
      var holder = document.createElement("template");
      holder.innerHTML = html;
      holder.content.querySelectorAll("[data-replace]").forEach(function (fresh) {
        var old = document.getElementById(fresh.id);
        if (old) { old.replaceWith(fresh); htmx.process(fresh); }
      });
      document.body.dispatchEvent(new CustomEvent("glossa:changed"));
    }).catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  window.setInterval(poll, parseInt(article.dataset.poll || "4000", 10));
})();
