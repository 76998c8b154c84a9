// For the sites that embed an office's releases: sizes each
// <iframe data-pressdesk-embed src="https://<pressdesk>/einbetten/..."> to its content.
// Include it once after the iframe:
//   <script src="https://<pressdesk>/static/embed.js" async></script>
// Only messages from the pressdesk origin this script came from, and from one of those
// frames, are heard; the height is a number within bounds, set as CSS pixels.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src, window.location.href).origin;
  var flag = "pressdeskEmbed:" + origin;
  if (window[flag]) return;  // the snippet pasted twice: one listener is enough
  window[flag] = true;
  var MAX = 20000;

  function frames() {
    var out = [];
    document.querySelectorAll("iframe[data-pressdesk-embed]").forEach(function (f) {
      try {
        if (new URL(f.src, window.location.href).origin === origin) out.push(f);
      } catch (e) { /* an unparsable src is not ours */ }
    });
    return out;
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || data.type !== "pressdesk-embed-height") return;
    var h = Math.ceil(Number(data.height));
    if (!isFinite(h) || h < 1 || h > MAX) return;
    frames().forEach(function (f) {
      if (f.contentWindow === event.source) {
        f.style.height = h + "px";
        f.setAttribute("height", String(h));
      }
    });
  });

  function ask() {
    frames().forEach(function (f) {
      if (f.contentWindow) f.contentWindow.postMessage({ type: "pressdesk-embed-ask" }, origin);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ask);
  } else {
    ask();
  }
})();
