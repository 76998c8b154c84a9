// Live delivery progress: polls the counts until nothing is left to send.
(function () {
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var url = box.getAttribute("data-progress-url");
  var total = parseInt(box.getAttribute("data-total"), 10) || 0;
  var bar = box.querySelector("progress");
  function tick() {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (c) {
      var done = (c.sent || 0) + (c.failed || 0) + (c.suppressed || 0) + (c.cancelled || 0);
      bar.value = done;
      box.querySelectorAll("[data-state]").forEach(function (el) {
        el.querySelector("b").textContent = c[el.getAttribute("data-state")] || 0;
      });
      if (done < total) setTimeout(tick, 1000);
    }).catch(function () { setTimeout(tick, 3000); });
  }
  tick();
})();
