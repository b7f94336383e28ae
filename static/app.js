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
    var m = /\bid="split-(\d+)[-"]/.exec(ev.data || "");
    if (ev.type === "split" && m && !document.getElementById("split-" + m[1])) {
      e.preventDefault();
    }
  });
  // A message arrives twice for its sender (the form's answer and the live
  // stream) and after a reconnection maybe again: append it once.
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var d = e.detail;
    if (d.target.id !== "messages" || !d.fragment) return;
    var first = d.fragment.firstElementChild;
    if (first && first.id && document.getElementById(first.id)) {
      d.shouldSwap = false;
    }
  });
  // Keep the newest message in view when one arrives at the bottom.
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.detail.target.id === "messages") {
      var last = e.detail.target.lastElementChild;
      if (last) last.scrollIntoView({ block: "nearest" });
    }
  });
})();
