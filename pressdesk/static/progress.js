// Live delivery report: polls progress.json and updates the counts and every row's state,
// time, attempts and last error without a reload. Stops when nothing is left to happen.
(function () {
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var url = box.getAttribute("data-progress-url");
  var bar = box.querySelector("progress");
  var figure = box.querySelector("[data-done]");
  var FINAL = ["sent", "failed", "suppressed", "bounced", "cancelled"];
  var rows = {};
  document.querySelectorAll("tr[data-row]").forEach(function (tr) {
    rows[tr.getAttribute("data-row")] = tr;
  });
  function setText(el, value) {
    if (el && el.textContent !== value) el.textContent = value;
  }
  var box_labels = {
    retried: box.getAttribute("data-label-retried") || "",
    whom: box.getAttribute("data-label-whom") || "",
    technical: box.getAttribute("data-label-technical") || ""
  };
  // The German explanation, with the technical text folded away (built as text, never HTML).
  function showError(cell, row) {
    if (!cell || cell.getAttribute("data-shown") === row.error) return;
    cell.setAttribute("data-shown", row.error);
    cell.textContent = "";
    var ex = row.explanation;
    if (!ex) return;
    function span(cls, text) {
      var el = document.createElement("span");
      if (cls) el.className = cls;
      el.textContent = text;
      cell.appendChild(el);
      cell.appendChild(document.createTextNode(" "));
    }
    span("", ex.what);
    span("small", box_labels.retried + " " + ex.retried);
    span("small", box_labels.whom + " " + ex.whom);
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = box_labels.technical;
    var code = document.createElement("code");
    code.textContent = row.error;
    details.appendChild(summary);
    details.appendChild(code);
    cell.appendChild(details);
  }
  var since = "";
  function tick() {
    fetch(since ? url + "?since=" + encodeURIComponent(since) : url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      var c = data.counts, total = data.total, done = 0;
      since = data.now;
      FINAL.forEach(function (s) { done += c[s] || 0; });
      bar.max = total || 1;
      bar.value = done;
      setText(figure, done + " / " + total);
      box.querySelectorAll("[data-state]").forEach(function (el) {
        setText(el.querySelector("b"), String(c[el.getAttribute("data-state")] || 0));
      });
      data.rows.forEach(function (row) {
        var tr = rows[String(row.id)];
        if (!tr) return;
        var st = tr.querySelector("[data-cell=state]");
        st.className = "state state-" + row.state;
        setText(st, row.label);
        setText(tr.querySelector("[data-cell=time]"), row.time);
        setText(tr.querySelector("[data-cell=attempts]"), String(row.attempts));
        showError(tr.querySelector("[data-cell=error]"), row);
      });
      if (total > 0 && done >= total) {
        // Complete: pausing or cancelling would change nothing.
        document.querySelectorAll("[data-while-running]").forEach(function (el) { el.remove(); });
      }
      if (done < total && data.control !== "cancelled") setTimeout(tick, 1000);
    }).catch(function () { setTimeout(tick, 3000); });
  }
  tick();
})();
