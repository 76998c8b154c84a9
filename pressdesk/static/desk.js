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
