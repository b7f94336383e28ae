// Divvy's small client behaviours. No inline scripts anywhere (the CSP
// forbids them); htmx does the rest.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="text">.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-copy]");
    if (!b) return;
    e.preventDefault();
    var text = b.getAttribute("data-copy");
    var done = function () {
      var label = b.getAttribute("data-copied") || "Copied";
      var old = b.textContent;
      b.textContent = label;
      setTimeout(function () { b.textContent = old; }, 2000);
    };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, function () {});
  });
  // Share buttons use the browser's share sheet where there is one.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-share]");
    if (!b || !navigator.share) return;
    e.preventDefault();
    navigator.share({ title: b.getAttribute("data-share-title") || document.title, url: b.getAttribute("data-share") }).catch(function () {});
  });
  // The browser's time zone, so the server shows times in it (the next page
  // on; the first one uses the server's zone).
  try {
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && document.cookie.indexOf("divvy-tz=" + tz) < 0) {
      document.cookie = "divvy-tz=" + tz + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (err) {}
  document.addEventListener("DOMContentLoaded", function () {
    if (!navigator.share) document.querySelectorAll("[data-share]").forEach(function (b) { b.hidden = true; });
  });
})();

// Live threads (htmx SSE extension). Before an event is swapped in:
// remember its id, so that if the extension must open a new EventSource
// (which sends no Last-Event-ID) it resumes from there; reload when the
// server says the page is too far behind; skip a card that is not on the
// page (its split is on an older page of the thread).
(function () {
  "use strict";
  document.addEventListener("htmx:sseBeforeMessage", function (e) {
    var ev = e.detail;
    var src = e.target.closest("[sse-connect]");
    if (src && ev.lastEventId) {
      var url = src.getAttribute("sse-connect").replace(/([?&]after=)\d*/, "$1" + ev.lastEventId);
      src.setAttribute("sse-connect", url);
    }
    if (ev.type === "reload") {
      e.preventDefault();
      window.location.reload();
      return;
    }
    if (ev.type === "splits") {
      // Many splits changed at once (a settle-up): redraw the cards this
      // page shows, each asked for as the reader sees it.
      e.preventDefault();
      var ids = /data-split-ids="([\d,]*)"/.exec(ev.data || "");
      var base = src && src.getAttribute("sse-connect").replace(/\/events.*$/, "");
      if (!ids || !base) return;
      ids[1].split(",").forEach(function (id) {
        var card = document.getElementById("split-" + id);
        if (card) htmx.ajax("GET", base + "/splits/" + id + "/card", { target: card, swap: "outerHTML" });
      });
      return;
    }
    var m = /\bid="split-(\d+)[-"]/.exec(ev.data || "");
    if (ev.type === "split" && m && !document.getElementById("split-" + m[1])) {
      e.preventDefault();
    }
  });
  // A message arrives twice for its sender (the form's answer and the live
  // stream) and after a reconnection maybe again: append it once. Note
  // whether the reader was at the newest message, to keep them there.
  var followNewest = true;
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var d = e.detail;
    if (d.target.id !== "messages" || !d.fragment) return;
    var first = d.fragment.firstElementChild;
    if (first && first.id && document.getElementById(first.id)) {
      d.shouldSwap = false;
      return;
    }
    followNewest = atNewest(d.target);
  });
  // A new message is scrolled into view above the sticky composer (its
  // scroll-margin is the composer's height), unless the reader was reading
  // older ones.
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.detail.target.id !== "messages" || !followNewest) return;
    showNewest(e.detail.target, "smooth");
  });

  function composerHeight() {
    var c = document.getElementById("composer");
    return c ? c.getBoundingClientRect().height : 0;
  }
  function atNewest(list) {
    var last = list.lastElementChild;
    if (!last) return true;
    return last.getBoundingClientRect().top < window.innerHeight - composerHeight() + 40;
  }
  function showNewest(list, behavior) {
    document.documentElement.style.setProperty("--composer-height", composerHeight() + "px");
    var last = list.lastElementChild;
    if (last) last.scrollIntoView({ block: "end", behavior: behavior || "auto" });
  }
  // A thread opens at its newest message (unless the address points at a
  // given one, such as a split card after paying).
  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("messages");
    if (!list) return;
    // A reload or "back" would put the old scroll position back after
    // this: the thread decides where it opens.
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    if (!window.location.hash) showNewest(list);
  });
  // "Earlier messages" adds messages above the reader: keep the message
  // they were looking at where it was on the screen.
  var anchor = null, anchorTop = 0;
  document.addEventListener("htmx:beforeRequest", function (e) {
    var li = e.detail.elt.closest && e.detail.elt.closest("li.earlier");
    if (!li) return;
    anchor = li.nextElementSibling;
    anchorTop = anchor ? anchor.getBoundingClientRect().top : 0;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!anchor) return;
    var moved = anchor.getBoundingClientRect().top - anchorTop;
    if (moved) window.scrollBy(0, moved);
    anchor = null;
  });
})();

// Messages from before today say their day ("Yesterday 18:02", "12 Nov
// 18:02") in the page's language; the server sends only the time, so that
// a kept rendering stays right after midnight.
(function () {
  "use strict";
  function label(t) {
    var d = new Date(t.getAttribute("datetime"));
    if (isNaN(d)) return;
    var clock = t.getAttribute("data-clock") || t.textContent;
    t.setAttribute("data-clock", clock);
    var now = new Date();
    var today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    if (d >= today) { t.textContent = clock; return; }
    var lang = document.documentElement.lang || undefined;
    var day;
    if (d >= new Date(today.getTime() - 864e5)) {
      day = new Intl.RelativeTimeFormat(lang, { numeric: "auto" }).format(-1, "day");
      day = day.charAt(0).toUpperCase() + day.slice(1);
    } else {
      var opts = { day: "numeric", month: "short" };
      if (d.getFullYear() !== now.getFullYear()) opts.year = "numeric";
      day = d.toLocaleDateString(lang, opts);
    }
    t.textContent = day + " " + clock;
  }
  function labelAll(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll(".msg time[datetime]").forEach(label);
  }
  document.addEventListener("DOMContentLoaded", function () { labelAll(document); });
  document.addEventListener("htmx:load", function (e) { labelAll(e.detail.elt); });
  document.addEventListener("htmx:oobAfterSwap", function (e) { labelAll(e.detail.target); });
})();

// A "Print" button on a printable card (no inline script under the CSP).
document.addEventListener("click", function (e) {
  if (e.target.closest && e.target.closest("[data-print]")) window.print();
});

// @mentions: the members list's names, accents and case ignored.
(function () {
  "use strict";
  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
  }
  function members() {
    var out = [];
    document.querySelectorAll("#members li[data-name]").forEach(function (li) {
      if (li.getAttribute("data-you") !== "true") out.push(li.getAttribute("data-name"));
    });
    return out;
  }
  function mentionFor(name, all) {
    var first = name.trim().split(/\s+/)[0];
    var same = all.filter(function (n) { return fold(n.trim().split(/\s+/)[0]) === fold(first); }).length;
    return "@" + (same > 1 ? name.replace(/\s+/g, "") : first);
  }
  function typing(input) {
    var upto = input.value.slice(0, input.selectionStart);
    var m = /(^|\s)@([^\s@]*)$/.exec(upto);
    if (!m) return null;
    return { start: upto.length - m[2].length - 1, end: input.selectionStart, query: m[2] };
  }
  var list = null, active = 0, shown = [], at = null;
  function close(input) {
    if (list) list.remove();
    list = null;
    shown = [];
    if (input) {
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
  }
  function mark(input) {
    if (!list) return;
    Array.prototype.forEach.call(list.children, function (li, i) {
      li.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", "mention-" + active);
  }
  function open(input) {
    at = typing(input);
    if (!at) return close(input);
    var all = members(), q = fold(at.query);
    shown = all.filter(function (n) {
      if (fold(n).indexOf(q) === 0) return true;
      return n.split(/\s+/).some(function (w) { return fold(w).indexOf(q) === 0; });
    }).slice(0, 6);
    if (!shown.length) return close(input);
    if (!list) {
      list = document.createElement("ul");
      list.id = "mention-list";
      list.className = "mentions";
      list.setAttribute("role", "listbox");
      list.setAttribute("data-testid", "mentions");
      input.form.appendChild(list);
    }
    list.textContent = "";
    active = Math.min(active, shown.length - 1);
    shown.forEach(function (name, i) {
      var li = document.createElement("li");
      li.id = "mention-" + i;
      li.setAttribute("role", "option");
      li.textContent = name;
      list.appendChild(li);
    });
    input.setAttribute("aria-expanded", "true");
    mark(input);
  }
  function pick(input, i) {
    var text = mentionFor(shown[i], members()) + " ";
    var v = input.value;
    input.value = v.slice(0, at.start) + text + v.slice(at.end).replace(/^\s+/, "");
    var caret = at.start + text.length;
    input.setSelectionRange(caret, caret);
    close(input);
    input.focus();
  }
  document.addEventListener("input", function (e) {
    if (e.target.id !== "composer-text") return;
    active = 0;
    open(e.target);
  });
  // The Enter that picked does not also send.
  var picked = false;
  document.addEventListener("keypress", function (e) {
    if (picked && e.key === "Enter" && e.target.id === "composer-text") e.preventDefault();
  });
  document.addEventListener("keyup", function () { picked = false; });
  document.addEventListener("keydown", function (e) {
    var input = e.target;
    if (input.id !== "composer-text" || !list) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      mark(input);
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      picked = true;
      pick(input, active);
    } else if (e.key === "Escape") {
      e.preventDefault();
      close(input);
    }
  });
  // pointerdown keeps the field's focus; elsewhere closes.
  document.addEventListener("pointerdown", function (e) {
    if (!list) return;
    var input = document.getElementById("composer-text");
    var li = e.target.closest && e.target.closest("#mention-list li");
    if (!li) {
      if (e.target !== input) close(input);
      return;
    }
    e.preventDefault();
    pick(input, Array.prototype.indexOf.call(list.children, li));
  });
})();
