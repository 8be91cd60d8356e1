// Ocean Sync console: live refresh and in-place connection tests. Every page works without this file.
"use strict";

const FETCH = { "X-Requested-With": "fetch" };

// Which control has focus, as something that survives re-rendering: its account card and its label.
function focusKey() {
  const el = document.activeElement;
  const card = el && el.closest && el.closest("[data-account-id]");
  return card ? [card.dataset.accountId, el.tagName, el.textContent.trim()] : null;
}

function restoreFocus(root, key) {
  if (!key) return;
  const [account, tag, text] = key;
  const card = root.querySelector(`[data-account-id="${account}"]`);
  const match = card && [...card.querySelectorAll(tag)].find((el) => el.textContent.trim() === text);
  if (match) match.focus();
}

// Status texts by account, to announce what changed.
function states(root) {
  const out = new Map();
  for (const card of root.querySelectorAll("[data-account-id]")) {
    const name = card.querySelector("h2 a");
    const state = card.querySelector(".state");
    if (name && state) out.set(card.dataset.accountId, `${name.textContent.trim()}: ${state.textContent.trim()}`);
  }
  return out;
}

// Elements with data-live="<url>" are re-rendered from that URL every 2 s while the tab is visible. The
// server answers 304 while the content still has the ETag the element shows (data-etag), so only a real
// change is swapped in, including one that happened between the page's render and the first poll.
for (const el of document.querySelectorAll("[data-live]")) {
  let etag = el.dataset.etag || "";
  const announcer = document.getElementById("live-announcer");
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const headers = { ...FETCH, "If-None-Match": etag };
      const response = await fetch(el.dataset.live, { headers, credentials: "same-origin" });
      if (response.status === 401) { window.location.reload(); return; }
      if (response.status === 304 || !response.ok) return;
      const html = await response.text();
      etag = response.headers.get("ETag") || "";
      const before = states(el);
      const key = focusKey();
      el.innerHTML = html;
      restoreFocus(el, key);
      if (announcer) {
        const changed = [...states(el)].filter(([id, text]) => before.has(id) && before.get(id) !== text);
        if (changed.length) announcer.textContent = changed.map(([, text]) => text).join(". ");
      }
    } catch (_) {
      // Offline for a moment: the next tick tries again.
    }
  };
  refresh();
  setInterval(refresh, 2000);
}

// Test Connection posts the form in the background and shows the result in place, so a typed secret
// stays in its field.
for (const button of document.querySelectorAll("button[data-test-connection]")) {
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    const out = document.getElementById(button.dataset.testConnection);
    out.textContent = "Testing the connection…";
    button.disabled = true;
    try {
      const body = new URLSearchParams(new FormData(button.form));
      const response = await fetch(button.formAction, { method: "POST", body, headers: FETCH, credentials: "same-origin" });
      if (response.status === 401) { window.location.reload(); return; }
      if (response.ok) {
        out.innerHTML = await response.text();
      } else if (response.status === 403) {
        out.textContent = "The test was refused: this page may have expired, or your role does not allow it. Reload the page and try again.";
      } else {
        out.textContent = `The test could not run (HTTP ${response.status}). Reload the page and try again.`;
      }
    } catch (_) {
      out.textContent = "The console could not be reached. Try again.";
    } finally {
      button.disabled = false;
    }
  });
}

// A field's error message goes away once the field is edited; the server checks again on submit.
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLElement) || field.getAttribute("aria-invalid") !== "true") return;
  field.removeAttribute("aria-invalid");
  const error = document.getElementById(`${field.id}-error`);
  if (error) error.remove();
});
