// Inside the embed page (/einbetten/<office>): tells the page that frames it how tall the
// content is, whenever that changes, so the host's embed.js can size the iframe to fit.
// The height is no secret, so any parent may hear it; the host script checks our origin.
(function () {
  "use strict";
  if (window.parent === window) return;  // opened on its own: nobody to tell
  var last = -1;
  function height() {
    // The document's own height (not scrollHeight: that is never below the frame's height,
    // so a frame could grow but never shrink).
    return Math.ceil(document.documentElement.getBoundingClientRect().height);
  }
  function tell(force) {
    var h = height();
    if (!force && h === last) return;
    last = h;
    window.parent.postMessage({ type: "pressdesk-embed-height", height: h }, "*");
  }
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(function () { tell(false); }).observe(document.documentElement);
  }
  window.addEventListener("load", function () { tell(true); });
  // The host script asks when it starts (it may load after this page did).
  window.addEventListener("message", function (event) {
    if (event.source === window.parent && event.data &&
        event.data.type === "pressdesk-embed-ask") tell(true);
  });
  tell(true);
})();
