// The viewer room: gifts and combos without a page load, the live feed and
// leaderboard from the stream's events (Server-Sent Events).
"use strict";
(function () {
  const g = window.glint;
  const d = g.data();
  const $ = (id) => document.getElementById(id);
  const coins = $("coins"), status = $("gift-status"), feed = $("feed"), top = $("top"), total = $("total-coins");
  const combos = {}; // gift id → {id, last, timer}
  const maxFeed = 50;
  let totalCoins = Number((total && total.textContent || "0").replace(/,/g, "")) || 0;

  function say(msg, bad) {
    status.textContent = msg;
    status.classList.toggle("bad", !!bad);
  }

  // showLevel moves the level meter after the viewer sent coins' worth.
  let spent = Number(d.spent) || 0;
  function showLevel(level, added) {
    const n = $("level-n"), bar = $("level-bar"), next = $("level-next");
    if (!n || !d.levels) return;
    spent += Number(added) || 0;
    if (level) n.textContent = level;
    const lv = Number(n.textContent);
    if (lv < d.levels.length) {
      const at = d.levels[lv];
      if (bar) { bar.max = at; bar.value = spent; }
      next.textContent = g.fmt(spent) + " of " + g.fmt(at) + " coins to level " + (lv + 1);
    } else {
      if (bar) bar.remove();
      next.textContent = "The top level: " + g.fmt(spent) + " coins sent.";
    }
  }

  function comboFor(gift) {
    const now = Date.now();
    let c = combos[gift.id];
    // A little margin under the server's streak timeout, so a tap that
    // arrives late starts a new combo rather than being refused.
    if (!c || now - c.last > d.streak_ms - 250) {
      c = combos[gift.id] = { id: "web-" + g.token().slice(0, 20), last: now, timer: 0 };
    }
    c.last = now;
    return c;
  }

  function showCount(form, n) {
    const span = form.querySelector(".count");
    if (!span) return;
    span.textContent = n > 1 ? "×" + n : "";
    const c = combos[form.dataset.gift];
    if (c) {
      clearTimeout(c.timer);
      c.timer = setTimeout(() => { span.textContent = ""; }, d.streak_ms);
    }
  }

  async function send(form) {
    const gift = d.gifts[form.dataset.gift];
    if (!gift) return;
    const body = new URLSearchParams(new FormData(form));
    body.set("idem", g.token());
    let combo = null;
    if (gift.streakable) {
      combo = comboFor(gift);
      body.set("combo_id", combo.id);
    }
    const btn = form.querySelector("button");
    btn.classList.add("sending");
    try {
      const res = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin" });
      const j = await res.json().catch(() => ({ error: { message: "Unexpected answer (" + res.status + ")" } }));
      if (!res.ok) {
        const code = j.error && j.error.code;
        if (code === "combo_ended" || code === "combo_mismatch") delete combos[gift.id];
        say(j.error && j.error.message ? j.error.message : "The gift was not sent.", true);
        return;
      }
      coins.textContent = g.fmt(j.sender_coins_after);
      showLevel(j.sender_level, j.coins);
      const n = j.combo ? j.combo.count : j.quantity;
      showCount(form, j.combo ? j.combo.count : 0);
      say("Sent " + gift.name + (n > 1 ? " ×" + n : "") + ".");
      if (!d.events) addGift(Object.assign({ sender_name: "You" }, j));
    } catch (e) {
      say("Network error: the gift may not have been sent. Check your coins and try again.", true);
    } finally {
      btn.classList.remove("sending");
    }
  }

  document.querySelectorAll("form.gift-form").forEach((form) => {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      send(form);
    });
  });

  function addGift(x) {
    const gift = d.gifts[x.gift_id] || { name: x.gift_id };
    const empty = $("feed-empty");
    if (empty) empty.remove();
    const count = x.combo ? x.combo.count : x.quantity;
    if (x.combo) {
      const li = feed.querySelector('li[data-combo="' + CSS.escape(x.combo.id) + '"]');
      if (li) {
        li.querySelector(".x").textContent = "×" + count;
        li.classList.remove("bump");
        void li.offsetWidth;
        li.classList.add("bump");
        feed.prepend(li);
        return;
      }
    }
    const li = g.el("li", { "data-combo": x.combo ? x.combo.id : false },
      g.badge(x.gift_id, gift.name, "sm"),
      g.el("span", {},
        x.sender_level ? g.el("span", { class: "lv", title: "Gifter level " + x.sender_level }, "Lv " + x.sender_level) : "",
        g.el("strong", {}, x.sender_name || x.sender_id), " sent " + gift.name),
      g.el("span", { class: "x" }, "×" + count));
    feed.prepend(li);
    while (feed.children.length > maxFeed) feed.lastElementChild.remove();
  }

  function renderTop(list) {
    top.replaceChildren();
    if (!list || !list.length) {
      top.append(g.el("li", { class: "empty" }, "No gifts yet: be the first."));
      return;
    }
    for (const t of list) {
      const name = t.name || t.user_id;
      top.append(g.el("li", {},
        g.el("span", { class: "avatar sm h" + g.hue(t.user_id), "aria-hidden": "true" }, g.icon(name)),
        g.el("span", { class: "who" }, name),
        g.el("span", { class: "num" }, g.fmt(t.coins))));
    }
  }

  if (d.events && window.EventSource) {
    const es = new EventSource(d.events);
    // data-live says the feed is connected (tests wait for it).
    es.addEventListener("open", () => { document.body.dataset.live = "1"; });
    es.addEventListener("error", () => { delete document.body.dataset.live; });
    es.addEventListener("gift", (e) => {
      const x = JSON.parse(e.data);
      totalCoins += Number(x.coins) || 0;
      if (total) total.textContent = g.fmt(totalCoins);
      addGift(x);
    });
    es.addEventListener("leaderboard", (e) => renderTop(JSON.parse(e.data).top));
    es.addEventListener("streak.end", (e) => {
      const x = JSON.parse(e.data);
      const li = feed.querySelector('li[data-combo="' + CSS.escape(x.combo_id) + '"]');
      if (li) li.classList.add("done");
    });
    es.addEventListener("stream.end", () => {
      say("The stream has ended.");
      document.querySelectorAll("button.gift").forEach((b) => { b.disabled = true; });
      es.close();
    });
  }
})();
