// glint: small helpers shared by the pages (no framework).
"use strict";
window.glint = (function () {
  // data reads the page's JSON data block.
  function data() {
    const el = document.getElementById("page-data");
    return el ? JSON.parse(el.textContent) : {};
  }
  // token is a random hex string (an idempotency key or a combo id);
  // crypto.getRandomValues works on plain http too, unlike randomUUID.
  function token() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }
  function fmt(n) {
    const v = typeof n === "number" ? n : Number(n);
    return Number.isFinite(v) ? v.toLocaleString("en-US") : String(n);
  }
  // icon and hue match the server's badges (format.go: giftIcon, hueOf).
  function icon(name) {
    const out = [];
    for (const w of String(name || "").split(/\s+/)) {
      const c = Array.from(w)[0];
      if (c && /[\p{L}\p{N}]/u.test(c)) out.push(c.toUpperCase());
      if (out.length === 2) break;
    }
    return out.length ? out.join("") : "?";
  }
  function hue(id) {
    let h = 0x811c9dc5;
    for (const b of new TextEncoder().encode(String(id))) {
      h ^= b;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h % 12;
  }
  // el builds an element: el("span", {class: "x"}, "text", child…).
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v == null) continue;
      if (k === "class") e.className = v;
      else if (k.startsWith("data-")) e.dataset[k.slice(5).replace(/-(\w)/g, (_, c) => c.toUpperCase())] = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  function badge(id, name, extra) {
    return el("span", { class: "icon " + (extra || "") + " h" + hue(id), "aria-hidden": "true" }, icon(name));
  }
  // Copy buttons: <button data-copy="input-id">.
  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest("[data-copy]");
    if (!b) return;
    const input = document.getElementById(b.dataset.copy);
    if (!input) return;
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
    } catch (_) {
      document.execCommand("copy");
    }
    const old = b.textContent;
    b.textContent = "Copied";
    setTimeout(() => { b.textContent = old; }, 1500);
  });
  return { data, token, fmt, icon, hue, el, badge };
})();
