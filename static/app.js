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
