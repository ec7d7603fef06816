// The OBS overlay: gift alerts with streak counts, a goal bar and the top
// gifter, from the stream's events (Server-Sent Events). Options come from
// the URL (see docs/WEB.md); the server passes them in the page data.
"use strict";
(function () {
  const d = JSON.parse(document.getElementById("page-data").textContent);
  const o = d.options || {};
  const $ = (id) => document.getElementById(id);
  const alerts = $("ov-alerts"), goal = $("ov-goal");
  const maxAlerts = 5;
  const fmt = (n) => (Number.isFinite(Number(n)) ? Number(n).toLocaleString("en-US") : String(n));

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
    for (const b of new TextEncoder().encode(String(id))) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0; }
    return h % 12;
  }
  function span(cls, text) {
    const s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  // Alerts: one per gift; a streak updates its alert's count and keeps it up.
  function expire(li) {
    clearTimeout(li._t);
    li._t = setTimeout(() => {
      li.classList.add("out");
      setTimeout(() => li.remove(), 400);
    }, (o.duration || 5) * 1000);
  }
  function alertGift(x) {
    if (!alerts) return;
    const gift = (d.gifts && d.gifts[x.gift_id]) || { name: x.gift_id };
    const count = x.combo ? x.combo.count : x.quantity;
    if (x.combo) {
      const li = alerts.querySelector('li[data-combo="' + CSS.escape(x.combo.id) + '"]');
      if (li) {
        li.querySelector(".x").textContent = "×" + count;
        li.classList.remove("bump");
        void li.offsetWidth;
        li.classList.add("bump");
        expire(li);
        return;
      }
    }
    const li = document.createElement("li");
    if (x.combo) li.dataset.combo = x.combo.id;
    const ic = span("icon h" + hue(x.gift_id), icon(gift.name));
    ic.setAttribute("aria-hidden", "true");
    const text = document.createElement("span");
    if (o.levels && x.sender_level) text.append(span("lv", "Lv " + x.sender_level), " ");
    text.append(span("who", x.sender_name || x.sender_id), span("what", " sent " + gift.name));
    li.append(ic, text, span("x", "×" + count));
    alerts.prepend(li);
    while (alerts.children.length > maxAlerts) alerts.lastElementChild.remove();
    expire(li);
  }

  // The goal: the stream's own (goal events) or, until one arrives, a coins
  // goal from ?target=N counted from the stream's gifts.
  let own = false;
  let local = { kind: "coins", target: o.target || 0, progress: d.coins || 0 };
  function drawGoal(gl) {
    if (!goal || !o.goal) return;
    const target = Number(gl.target), progress = Number(gl.progress);
    if (!(target > 0)) { goal.hidden = true; return; }
    goal.hidden = false;
    const pct = Math.max(0, Math.min(100, (progress / target) * 100));
    $("ov-goal-fill").style.width = pct + "%";
    // A coins goal, or a goal of one gift (kind "gift", gift_id).
    const gift = gl.kind === "gift" && d.gifts && d.gifts[gl.gift_id];
    const kind = gift ? gift.name : String(gl.kind || "goal");
    $("ov-goal-kind").textContent = kind.charAt(0).toUpperCase() + kind.slice(1) + " goal";
    $("ov-goal-num").textContent = fmt(gl.progress) + " / " + fmt(gl.target);
    const bar = $("ov-goal-bar");
    bar.setAttribute("aria-valuemax", String(target));
    bar.setAttribute("aria-valuenow", String(Math.min(progress, target)));
    goal.classList.toggle("reached", !!gl.reached || progress >= target);
  }
  drawGoal(local);

  function drawTop(t) {
    const box = $("ov-top");
    if (!box || !t) return;
    $("ov-top-name").textContent = t.name || t.user_id;
    $("ov-top-coins").textContent = fmt(t.coins);
    box.hidden = false;
  }

  if (d.events && window.EventSource) {
    const es = new EventSource(d.events);
    // data-live says the feed is connected (tests wait for it).
    es.addEventListener("open", () => { document.body.dataset.live = "1"; });
    es.addEventListener("error", () => { delete document.body.dataset.live; });
    es.addEventListener("gift", (e) => {
      const x = JSON.parse(e.data);
      if (o.alerts) alertGift(x);
      if (!own) {
        local.progress += Number(x.coins) || 0;
        drawGoal(local);
      }
    });
    es.addEventListener("goal", (e) => {
      own = true;
      drawGoal(JSON.parse(e.data));
    });
    es.addEventListener("leaderboard", (e) => {
      const top = JSON.parse(e.data).top || [];
      if (o.top && top.length) drawTop(top[0]);
    });
  }
})();
