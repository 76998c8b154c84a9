// The release body's Markdown toolbar, keyboard shortcuts and live preview, and dropping
// photos onto an upload field. An ES module of our own (CSP: script-src 'self'); without it
// the plain textarea and file inputs work as before.
//
// The preview is rendered by the server (POST data-preview-url) with the same renderer as the
// desk, the portal and the mail, so what it shows is what is sent.

const ACTIONS = {
  bold: { keys: "b", run: (ed) => wrap(ed, "**", "**", ed.labels.boldSample) },
  italic: { keys: "i", run: (ed) => wrap(ed, "*", "*", ed.labels.italicSample) },
  heading: { keys: "shift+h", run: (ed) => prefixLines(ed, "### ") },
  list: { keys: "shift+l", run: (ed) => prefixLines(ed, "- ") },
  link: { keys: "k", run: (ed) => link(ed) },
  table: { keys: "alt+t", run: (ed) => table(ed) },
};

function insert(area, text, selectFrom, selectTo) {
  area.focus();
  // execCommand keeps the browser's undo history; setRangeText is the fallback.
  if (!document.execCommand || !document.execCommand("insertText", false, text)) {
    area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  if (selectFrom !== undefined) {
    area.setSelectionRange(selectFrom, selectTo);
  }
}

function wrap(ed, before, after, sample) {
  const area = ed.area;
  const start = area.selectionStart;
  const chosen = area.value.slice(start, area.selectionEnd) || sample;
  insert(area, before + chosen + after, start + before.length,
         start + before.length + chosen.length);
}

function prefixLines(ed, prefix) {
  const area = ed.area;
  const value = area.value;
  const start = value.lastIndexOf("\n", area.selectionStart - 1) + 1;
  let end = value.indexOf("\n", area.selectionEnd);
  if (end === -1) { end = value.length; }
  const lines = value.slice(start, end).split("\n");
  const done = lines.map((line) => (line.startsWith(prefix) ? line : prefix + line)).join("\n");
  area.setSelectionRange(start, end);
  insert(area, done, start + done.length, start + done.length);
}

function link(ed) {
  const area = ed.area;
  const start = area.selectionStart;
  const text = area.value.slice(start, area.selectionEnd) || ed.labels.linkSample;
  const url = "https://";
  const snippet = `[${text}](${url})`;
  const urlStart = start + text.length + 3;
  insert(area, snippet, urlStart, urlStart + url.length);
}

function table(ed) {
  const area = ed.area;
  const head = ed.labels.column;
  const before = area.selectionStart > 0 && area.value[area.selectionStart - 1] !== "\n" ? "\n\n" : "";
  const snippet = `${before}| ${head} 1 | ${head} 2 |\n| --- | --- |\n|  |  |\n`;
  const start = area.selectionStart + before.length + 2;
  insert(area, snippet, start, start + head.length + 2);
}

function shortcutOf(event) {
  const parts = [];
  if (event.shiftKey) { parts.push("shift"); }
  if (event.altKey) { parts.push("alt"); }
  parts.push(event.key.length === 1 ? event.key.toLowerCase() : event.code);
  // Alt+T gives another character on some layouts: fall back to the key's code.
  if (event.altKey && event.code && event.code.startsWith("Key")) {
    parts[parts.length - 1] = event.code.slice(3).toLowerCase();
  }
  return parts.join("+");
}

function setUpEditor(area) {
  const labels = JSON.parse(area.dataset.editorLabels || "{}");
  const ed = { area, labels };
  const bar = document.createElement("div");
  bar.className = "md-toolbar";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", labels.toolbar || "Markdown");
  bar.setAttribute("aria-controls", area.id);
  for (const [name, action] of Object.entries(ACTIONS)) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small-button";
    button.dataset.mdAction = name;
    button.textContent = labels[name + "Short"] || name;
    const keys = "Strg+" + action.keys.split("+").map((k) => (k.length === 1 ? k.toUpperCase() : k.charAt(0).toUpperCase() + k.slice(1))).join("+");
    button.setAttribute("aria-label", `${labels[name] || name} (${keys})`);
    button.title = `${labels[name] || name} (${keys})`;
    button.addEventListener("click", () => action.run(ed));
    bar.appendChild(button);
  }
  area.parentNode.insertBefore(bar, area);
  area.setAttribute("aria-keyshortcuts",
    Object.values(ACTIONS).map((a) => "Control+" + a.keys.replace("shift", "Shift").replace("alt", "Alt").toUpperCase()).join(" "));
  area.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey)) { return; }
    const pressed = shortcutOf(event);
    for (const action of Object.values(ACTIONS)) {
      if (action.keys === pressed) {
        event.preventDefault();
        action.run(ed);
        return;
      }
    }
  });
  setUpPreview(area, labels);
}

function setUpPreview(area, labels) {
  const url = area.dataset.previewUrl;
  const target = area.dataset.previewTarget && document.getElementById(area.dataset.previewTarget);
  const form = area.form;
  if (!url || !target || !form) { return; }
  const token = form.querySelector("input[name=csrf_token]");
  target.hidden = false;
  target.closest(".editor-split")?.classList.add("with-preview");
  const body = target.querySelector(".md-preview");
  let timer = null;
  let asked = 0;
  const render = async () => {
    const mine = ++asked;
    const data = new FormData();
    data.append("body", area.value);
    try {
      const resp = await fetch(url, { method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "" } });
      if (!resp.ok) { throw new Error(String(resp.status)); }
      const html = await resp.text();
      if (mine === asked) {
        // The server's renderer sanitised it (nh3), as for the desk and the portal.
        body.innerHTML = html || `<p class="hint">${labels.empty || ""}</p>`;
        target.dataset.state = "ok";
      }
    } catch (err) {
      if (mine === asked) { target.dataset.state = "error"; }
    }
  };
  area.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(render, 300);
  });
  render();
}

// Does the file fit the input's accept list ("image/png", "image/*", ".pdf")? The server
// judges the content anyway; this only keeps what the input itself would offer.
function accepted(input, file) {
  if (!input.accept) { return true; }
  const name = file.name.toLowerCase();
  return input.accept.split(",").map((t) => t.trim().toLowerCase()).some((t) =>
    (t.startsWith(".") && name.endsWith(t))
    || (t.endsWith("/*") && file.type.startsWith(t.slice(0, -1)))
    || file.type === t);
}

// The names of the chosen files under the drop zone, so a drop is visible before saving.
function showChosen(input) {
  const list = document.querySelector(`[data-chosen-for="${input.id}"]`);
  if (!list) { return; }
  list.replaceChildren(...Array.from(input.files, (file) => {
    const item = document.createElement("li");
    item.textContent = file.name;
    return item;
  }));
}

function setUpDropZone(zone) {
  const input = document.getElementById(zone.dataset.dropFor);
  if (!input) { return; }
  const on = (event) => { event.preventDefault(); zone.classList.add("dragging"); };
  const off = () => zone.classList.remove("dragging");
  zone.addEventListener("dragenter", on);
  zone.addEventListener("dragover", on);
  zone.addEventListener("dragleave", off);
  input.addEventListener("change", () => showChosen(input));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    off();
    const files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) { return; }
    // A second drop adds to the first (a photo, then a PDF); the same file is kept once.
    const kept = new DataTransfer();
    const seen = new Set();
    const add = (file) => {
      const key = `${file.name}|${file.size}`;
      if (!seen.has(key)) { seen.add(key); kept.items.add(file); }
    };
    if (input.multiple) { Array.from(input.files || []).forEach(add); }
    for (const file of files) {
      if (accepted(input, file)) { add(file); }
      if (!input.multiple && kept.files.length) { break; }
    }
    input.files = kept.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

document.querySelectorAll("textarea[data-editor]").forEach(setUpEditor);
document.querySelectorAll("[data-drop-for]").forEach(setUpDropZone);
