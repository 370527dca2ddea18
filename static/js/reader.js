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
    if (kb) return; // selecting with the keyboard (below) shows the toolbar itself
    if (event.shiftKey || event.key === "Shift") onSelectionEnd();
  });

  function act(kind) {
    if (!current) return;
    if (kind === "reattach" && !reattachUrl) return;
    var block = blockAt(current.start);
    var keyboard = Boolean(kb) || toolbar.contains(document.activeElement);
    returnTo = block ? { el: block, id: block.id } : null;
    // A composer takes the focus to its text; a highlight leaves it in the text.
    pendingFocus = kind === "highlight" || kind === "reattach" ? null : "field";
    if (kb) stopSelecting(false);
    if (keyboard && block && !pendingFocus) focusBlock(block);
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
      returnTo = { el: mark, id: blockOf(mark) && blockOf(mark).id };
      pendingFocus = "heading";
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
      closePanel();
      return;
    }
    var orphan = event.target.closest("[data-reattach]");
    if (orphan) {
      reattachUrl = orphan.getAttribute("data-reattach");
      toolbar.querySelector("[data-kind=reattach]").hidden = false;
      orphan.textContent = "Now select the words in the text, then press “Attach here” (a).";
    }
  });

  // Selecting with the keyboard. The reading text is one tab stop (a roving tabindex over its
  // paragraphs and headings): ↑/↓ move between them, Enter puts a caret at the start of the
  // focused one. Then ←/→ move the caret (with Ctrl or Alt, a word at a time), Shift+←/→
  // select, Shift+Home/End select to the paragraph's start or end, ↑/↓ go to the previous or
  // next paragraph (with Shift, selecting); h, c, q, k act on the selection, Enter moves into
  // the toolbar, Escape stops. The caret and the selection are code-point offsets in the
  // revision's text, so they survive a block being re-rendered (a live update, a highlight).
  var hint = document.getElementById("keyboard-hint");
  var caret = document.getElementById("keyboard-caret");
  var statusLine = document.getElementById("reader-status");
  var kb = null; // {anchor, focus} while selecting with the keyboard
  var roving = null; // id of the block that is the text's tab stop
  var returnTo = null; // {el, id}: where the focus goes back to when the panel closes
  var pendingFocus = null; // "field" or "heading": what to focus in the panel once it arrives
  var focusedBlock = null; // id of the block that had the focus before a swap

  function blocks() { return Array.prototype.slice.call(article.querySelectorAll("[data-start]")); }
  function isBlock(el) { return Boolean(el && el.nodeType === 1 && el.hasAttribute("data-start") && article.contains(el)); }
  var texts = new WeakMap();
  function chars(block) { // the block's text, one code point an item
    var found = texts.get(block);
    if (found) return found;
    var text = "", walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT), t;
    while ((t = walker.nextNode())) { if (!isNonText(t)) text += t.data; }
    found = Array.from(text);
    texts.set(block, found);
    return found;
  }
  function startOf(block) { return parseInt(block.getAttribute("data-start"), 10); }
  function endOf(block) { return startOf(block) + chars(block).length; }
  function blockAt(offset, all) {
    all = all || blocks();
    for (var i = 0; i < all.length; i++) {
      if (offset >= startOf(all[i]) && offset <= endOf(all[i])) return all[i];
    }
    return null;
  }
  function charAt(offset) {
    var block = blockAt(offset);
    return block ? chars(block)[offset - startOf(block)] : undefined;
  }
  function textBetween(start, end) {
    return blocks().map(function (b) {
      var s = Math.max(start, startOf(b)), e = Math.min(end, endOf(b));
      return e > s ? chars(b).slice(s - startOf(b), e - startOf(b)).join("") : "";
    }).filter(Boolean).join(" ");
  }
  // The DOM position of a code-point offset: a text node that is part of the text, and a
  // UTF-16 offset in it.
  function domPoint(offset) {
    var block = blockAt(offset);
    if (!block) return null;
    var left = offset - startOf(block), last = null, t;
    var walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    while ((t = walker.nextNode())) {
      if (isNonText(t)) continue;
      var cps = Array.from(t.data);
      if (left <= cps.length) return { node: t, offset: cps.slice(0, left).join("").length };
      left -= cps.length;
      last = t;
    }
    return last ? { node: last, offset: last.data.length } : { node: block, offset: 0 };
  }

  // Words: letters, digits and marks, joined by an inner hyphen or apostrophe (East-West).
  var LETTER = /[\p{L}\p{N}\p{M}]/u;
  function letter(c) { return c !== undefined && LETTER.test(c); }
  function inWord(cs, i) {
    return letter(cs[i]) || ("-‐'’".indexOf(cs[i]) >= 0 && letter(cs[i - 1]) && letter(cs[i + 1]));
  }
  function wordEnd(cs, i) {
    while (i < cs.length && !inWord(cs, i)) i++;
    while (i < cs.length && inWord(cs, i)) i++;
    return i;
  }
  function nextWordStart(cs, i) {
    while (i < cs.length && inWord(cs, i)) i++;
    while (i < cs.length && !inWord(cs, i)) i++;
    return i;
  }
  function wordStart(cs, i) {
    while (i > 0 && !inWord(cs, i - 1)) i--;
    while (i > 0 && inWord(cs, i - 1)) i--;
    return i;
  }

  // Where `key` takes the caret from `offset`. Moving by word lands on the start of the next
  // word, so the caret can be put before one; selecting by word stops at a word's end.
  function step(offset, key, byWord, extending) {
    var all = blocks(), block = blockAt(offset, all), i = all.indexOf(block);
    var cs = chars(block), at = offset - startOf(block), base = startOf(block);
    var next = all[i + 1], previous = all[i - 1];
    if (key === "ArrowRight") {
      if (at >= cs.length) return next ? startOf(next) : offset;
      if (!byWord) return offset + 1;
      return base + (extending ? wordEnd(cs, at) : nextWordStart(cs, at));
    }
    if (key === "ArrowLeft") {
      if (at <= 0) return previous ? endOf(previous) : offset;
      return base + (byWord ? wordStart(cs, at) : at - 1);
    }
    if (key === "Home") return base;
    if (key === "End") return endOf(block);
    if (key === "ArrowDown") {
      if (extending && at < cs.length) return endOf(block);
      if (!next) return endOf(block);
      return extending ? endOf(next) : startOf(next);
    }
    if (key === "ArrowUp") {
      if (at > 0 || !previous) return base;
      return startOf(previous);
    }
    return offset;
  }

  function label(block) {
    var m = /^p(\d+)$/.exec(block.id || "");
    return m ? "paragraph " + m[1] : "the heading “" + block.textContent.trim().slice(0, 60) + "”";
  }
  function say(text) { if (statusLine) statusLine.textContent = text; }
  function quote(text) {
    text = text.replace(/\s+/g, " ").trim();
    return text.length > 120 ? text.slice(0, 58) + " … " + text.slice(-58) : text;
  }
  function describeCaret(offset) {
    var block = blockAt(offset);
    if (offset >= endOf(block)) return "At the end of " + label(block) + ".";
    var after = chars(block).slice(offset - startOf(block)).join("");
    var words = after.trim().split(/\s+/).slice(0, 4).join(" ");
    return "Before “" + words + "…”";
  }

  function placeCaret(point) {
    if (!caret) return;
    var range = document.createRange();
    range.setStart(point.node, point.offset);
    range.collapse(true);
    var rect = range.getClientRects()[0];
    if (!rect && point.node.nodeType === 3 && point.node.data.length) {
      var before = point.offset > 0;
      range.setStart(point.node, before ? point.offset - 1 : point.offset);
      range.setEnd(point.node, before ? point.offset : point.offset + 1);
      var r = range.getBoundingClientRect();
      rect = { left: before ? r.right : r.left, top: r.top, height: r.height };
    }
    if (!rect) { caret.hidden = true; return; }
    caret.hidden = false;
    caret.style.left = window.scrollX + rect.left - 1 + "px";
    caret.style.top = window.scrollY + rect.top + "px";
    caret.style.height = Math.max(rect.height, 16) + "px";
    caret.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  // Show the keyboard selection: the browser's selection, the caret, the toolbar, and say it.
  function render(message) {
    var a = domPoint(kb.anchor), f = domPoint(kb.focus);
    if (!a || !f) { stopSelecting(true); return; }
    var block = document.getElementById(kb.block);
    if (block) block.classList.add("is-selecting"); // again, if it was re-rendered
    window.getSelection().setBaseAndExtent(a.node, a.offset, f.node, f.offset);
    placeCaret(f);
    var start = Math.min(kb.anchor, kb.focus), end = Math.max(kb.anchor, kb.focus);
    while (start < end && /\s/.test(charAt(start) || " ")) start++;
    while (end > start && /\s/.test(charAt(end - 1) || " ")) end--;
    var found = null;
    if (end > start) {
      var range = document.createRange();
      var s = domPoint(start), e = domPoint(end);
      range.setStart(s.node, s.offset);
      range.setEnd(e.node, e.offset);
      found = { start: start, end: end, rect: range.getBoundingClientRect() };
    }
    showToolbar(found);
    if (message !== false) {
      say((message ? message + " " : "") +
        (found ? "Selected: “" + quote(textBetween(start, end)) + "”." : describeCaret(kb.focus)));
    }
  }

  function focusBlock(block) {
    setRoving(block);
    block.focus({ preventScroll: true });
  }
  function setRoving(block) {
    roving = block.id;
    blocks().forEach(function (b) { b.tabIndex = b === block ? 0 : -1; });
  }
  function startSelecting(block) {
    kb = { anchor: startOf(block), focus: startOf(block), block: block.id };
    block.classList.add("is-selecting");
    showHint(block);
    render("Selecting in " + label(block) + ".");
  }
  function stopSelecting(clear) {
    if (!kb) return;
    var block = document.getElementById(kb.block);
    kb = null;
    if (block) block.classList.remove("is-selecting");
    if (caret) caret.hidden = true;
    if (clear) {
      window.getSelection().removeAllRanges();
      showToolbar(null);
    }
    showHint(isBlock(document.activeElement) ? document.activeElement : null);
  }
  function showHint(block) {
    if (!hint) return;
    hint.hidden = !block;
    hint.querySelector("[data-when=idle]").hidden = Boolean(kb);
    hint.querySelector("[data-when=selecting]").hidden = !kb;
  }

  function setUpBlocks() {
    if (!canAnnotate) return;
    var all = blocks();
    if (!roving && isBlock(document.getElementById(window.location.hash.slice(1)))) {
      roving = window.location.hash.slice(1); // a link to ¶n: the text's tab stop is there
    }
    var stop = (roving && document.getElementById(roving)) || all[0];
    all.forEach(function (b) {
      b.tabIndex = b === stop ? 0 : -1;
      b.setAttribute("aria-describedby", "keyboard-hint");
    });
  }
  setUpBlocks();

  // A swap or a live update that re-renders the block holding the focus drops the focus to
  // <body> (and a keyboard user back to the top of the page): put it back, and redraw a
  // keyboard selection on the new nodes.
  function rememberFocus() {
    var el = document.activeElement;
    var block = el && article.contains(el) ? (isBlock(el) ? el : blockOf(el)) : null;
    focusedBlock = block ? block.id : null;
  }
  function afterRender() {
    setUpBlocks();
    var active = document.activeElement;
    if (focusedBlock && (!active || active === document.body || !active.isConnected)) {
      var block = document.getElementById(focusedBlock);
      if (block) focusBlock(block);
    }
    focusedBlock = null;
    if (kb) render(false);
  }
  document.body.addEventListener("htmx:beforeSwap", rememberFocus);
  document.body.addEventListener("htmx:afterSettle", function (event) {
    afterRender();
    var panel = document.getElementById("panel");
    if (pendingFocus && event.detail.target === panel && panel.firstElementChild) {
      var into = pendingFocus === "field" ? panel.querySelector("form textarea") : null;
      into = into || panel.querySelector("h2");
      if (into) {
        if (!into.matches("textarea, input, select, button, a[href]")) into.tabIndex = -1;
        into.focus();
      }
      pendingFocus = null;
    }
  });

  function closePanel() {
    document.getElementById("panel").innerHTML = "";
    var back = returnTo;
    returnTo = null;
    if (!back) return;
    var el = back.el && back.el.isConnected ? back.el : back.id && document.getElementById(back.id);
    if (el) { if (isBlock(el)) setRoving(el); el.focus(); }
  }

  article.addEventListener("focusin", function (event) {
    if (isBlock(event.target)) {
      setRoving(event.target);
      // Not for a click in the text: the hint is for the keyboard.
      if (kb || event.target.matches(":focus-visible")) showHint(event.target);
    }
  });
  article.addEventListener("focusout", function (event) {
    var from = event.target;
    if (!isBlock(from)) return;
    var to = event.relatedTarget;
    if (to && (isBlock(to) || toolbar.contains(to))) return;
    window.setTimeout(function () { // once a re-render has happened, if it is one
      if (!from.isConnected) return; // re-rendered: afterRender puts the focus back
      if (!document.hasFocus()) return; // another window: come back to the same place
      var now = document.activeElement;
      if (isBlock(now) || toolbar.contains(now)) return;
      showHint(null);
      if (kb) stopSelecting(true);
    }, 0);
  });
  // The mouse takes over from a keyboard selection.
  document.addEventListener("mousedown", function (event) {
    if (kb && !toolbar.contains(event.target)) stopSelecting(false);
  });
  // A screen reader in browse mode turns Enter into a click (with no mouse position).
  article.addEventListener("click", function (event) {
    if (event.detail === 0 && isBlock(event.target) && !kb && canAnnotate) startSelecting(event.target);
  });

  var MOVES = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"];
  article.addEventListener("keydown", function (event) {
    var block = event.target;
    if (!isBlock(block) || !canAnnotate) return;
    var key = event.key;
    if (!kb) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
      if (key === "Enter") {
        event.preventDefault();
        startSelecting(block);
      } else if (key === "ArrowDown" || key === "ArrowUp") {
        var all = blocks();
        var next = all[all.indexOf(block) + (key === "ArrowDown" ? 1 : -1)];
        if (next) {
          event.preventDefault();
          focusBlock(next);
          next.scrollIntoView({ block: "nearest" });
        }
      }
      return;
    }
    if (key === "Escape") {
      event.preventDefault();
      stopSelecting(true);
      say("Stopped selecting.");
    } else if (key === "Enter" && current) {
      event.preventDefault();
      var first = toolbar.querySelector("button:not([hidden])");
      if (first) first.focus();
    } else if (MOVES.indexOf(key) >= 0) {
      event.preventDefault();
      var byWord = event.ctrlKey || event.altKey || event.metaKey;
      if (!event.shiftKey && kb.anchor !== kb.focus && !byWord && (key === "ArrowLeft" || key === "ArrowRight")) {
        // An arrow without Shift ends a selection at its edge, as in a text field.
        kb.focus = key === "ArrowLeft" ? Math.min(kb.anchor, kb.focus) : Math.max(kb.anchor, kb.focus);
      } else {
        kb.focus = step(kb.focus, key, byWord, event.shiftKey);
      }
      if (!event.shiftKey) kb.anchor = kb.focus;
      render();
    }
  });

  // The toolbar is a toolbar: ←/→ move between its buttons, Escape goes back to the text.
  toolbar.addEventListener("keydown", function (event) {
    var buttons = Array.prototype.slice.call(toolbar.querySelectorAll("button:not([hidden])"));
    var at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      buttons[(at + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length].focus();
    } else if (event.key === "Escape" && kb) {
      event.preventDefault();
      event.stopPropagation();
      var block = document.getElementById(kb.block);
      if (block) { block.focus(); render(false); }
    }
  });
  toolbar.addEventListener("focusout", function (event) {
    var to = event.relatedTarget;
    if (kb && to && !toolbar.contains(to) && !isBlock(to)) stopSelecting(true);
  });
  // Escape in the panel (outside a text field) closes it and goes back to the text.
  document.addEventListener("keydown", function (event) {
    var panel = document.getElementById("panel");
    if (event.key !== "Escape" || !panel.contains(event.target) || !panel.firstElementChild) return;
    if (event.target.matches("textarea, input, select")) return;
    event.preventDefault();
    closePanel();
  });


  // Live: ask for changes since the last answer; the server answers 204 when there are none.
  var since = article.dataset.since;
  function poll() {
    if (document.hidden) return;
    // Only the cards on the page can be replaced: the server renders no others.
    var cards = Array.prototype.map.call(document.querySelectorAll("article.annotation[id^='a-']"),
      function (card) { return card.id.slice(2); }).join(",");
    fetch(article.dataset.changes + "?since=" + encodeURIComponent(since) + "&cards=" + cards + "&" + window.location.search.slice(1), {
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
      rememberFocus();
      holder.content.querySelectorAll("[data-replace]").forEach(function (fresh) {
        var old = document.getElementById(fresh.id);
        if (old) { old.replaceWith(fresh); htmx.process(fresh); }
      });
      afterRender();
      document.body.dispatchEvent(new CustomEvent("glossa:changed"));
    }).catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  window.setInterval(poll, parseInt(article.dataset.poll || "4000", 10));
})();
