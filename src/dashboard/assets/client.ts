/**
 * The dashboard's only script, served from /dashboard/assets/ with the page's CSP nonce. Every
 * page works without it; it adds copy-to-clipboard buttons (hidden until this runs) and, on the
 * test-event form, starts the payload from the chosen event type's example.
 */
export const DASHBOARD_JS = `"use strict";
(() => {
  const announcer = document.getElementById("announcer");
  const announce = (text) => {
    if (!announcer) return;
    announcer.textContent = "";
    setTimeout(() => { announcer.textContent = text; }, 50);
  };

  // data-copy holds the text itself; data-copy-url names a same-origin JSON resource whose
  // "secret" field is fetched at click time, so a hidden secret never sits in the page.
  const textFor = async (button) => {
    if (button.dataset.copy !== undefined) return button.dataset.copy;
    const response = await fetch(button.dataset.copyUrl, { headers: { accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return (await response.json()).secret;
  };

  for (const button of document.querySelectorAll("button[data-copy], button[data-copy-url]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        // A ClipboardItem fed by a promise keeps the click's user activation across the fetch.
        const text = textFor(button);
        await navigator.clipboard.write([new ClipboardItem({ "text/plain": text.then((t) => new Blob([t], { type: "text/plain" })) })]);
        button.classList.add("copied");
        setTimeout(() => button.classList.remove("copied"), 1500);
        announce(button.dataset.copied || "Copied");
      } catch {
        announce("Could not copy; select the text and copy it by hand");
      }
    });
  }

  // A select whose options carry data-payload fills the field data-payload-target names with the
  // chosen option's payload, unless that field was edited since it last held an option's payload.
  for (const select of document.querySelectorAll("select[data-payload-target]")) {
    const field = document.getElementById(select.dataset.payloadTarget);
    if (!field) continue;
    let filled = field.value;
    select.addEventListener("change", () => {
      const payload = select.selectedOptions[0]?.dataset.payload;
      if (payload === undefined || field.value !== filled) return;
      field.value = payload;
      filled = payload;
      announce("Payload set to the example of " + select.value);
    });
  }
})();
`;
