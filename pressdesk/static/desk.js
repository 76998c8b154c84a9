// Desk helpers (CSP: script-src 'self', so no inline handlers).
// Buttons with data-confirm ask before their form is sent.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
// Picking a time for "later" selects the "later" radio button.
document.addEventListener("input", function (event) {
  if (event.target.id === "scheduled_at" && event.target.value) {
    var later = document.getElementById("when-later");
    if (later) { later.checked = true; }
  }
});
// Date-and-time fields stay German text ("24.11.2026 09:30", sent as typed). Their "Kalender"
// button opens the browser's own picker: a datetime-local input of ours, out of sight, that
// starts at the field's time; what is picked is written back into the field in German form.
(function () {
  if (!("showPicker" in HTMLInputElement.prototype)) { return; }  // the button stays hidden
  function pad(n) { return String(n).padStart(2, "0"); }
  function toIso(text) {
    var m = /^\s*(\d{1,2})\.(\d{1,2})\.(\d{4}),?\s*(?:um\s*)?(\d{1,2})[:.](\d{2})/i.exec(text || "");
    if (m) { return m[3] + "-" + pad(m[2]) + "-" + pad(m[1]) + "T" + pad(m[4]) + ":" + m[5]; }
    m = /^\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(text || "");
    return m ? m[1] + "T" + m[2] : "";
  }
  function toGerman(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
    return m ? m[3] + "." + m[2] + "." + m[1] + " " + m[4] + ":" + m[5] : "";
  }
  document.querySelectorAll("button[data-picker-for]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-picker-for"));
    if (!field) { return; }
    var picker = document.createElement("input");
    picker.type = "datetime-local";
    picker.className = "datetime-picker";
    picker.tabIndex = -1;
    picker.setAttribute("aria-hidden", "true");
    picker.setAttribute("aria-label", button.getAttribute("aria-label") || "");
    picker.setAttribute("data-picker-of", field.id);
    button.insertAdjacentElement("afterend", picker);
    function fill() {
      var german = toGerman(picker.value);
      if (!german || german === field.value) { return; }
      field.value = german;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
    picker.addEventListener("input", fill);
    picker.addEventListener("change", fill);
    button.addEventListener("click", function () {
      picker.value = toIso(field.value);
      try { picker.showPicker(); } catch (err) { field.focus(); }
    });
    button.hidden = false;
  });
})();
