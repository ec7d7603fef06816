// The creator dashboard: earnings charts (uPlot) and the payout method form.
"use strict";
(function () {
  const g = window.glint;
  const d = g.data();
  const css = getComputedStyle(document.documentElement);
  const fg = getComputedStyle(document.body).color;
  const accent = (css.getPropertyValue("--accent") || "#6b3df5").trim();
  const line = (css.getPropertyValue("--line") || "#ddd").trim();

  function chart(id, s, step) {
    const el = document.getElementById(id);
    if (!el || !window.uPlot || !s || !s.t) return;
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
    const axis = { stroke: fg, grid: { stroke: line, width: 1 }, ticks: { stroke: line } };
    const opts = {
      width: Math.max(el.clientWidth, 280),
      height: 220,
      scales: { x: { time: true }, net: {} },
      series: [
        { value: (u, v) => (v == null ? "" : new Date(v * 1000).toISOString().slice(0, 10)) },
        { label: "Diamonds", stroke: accent, fill: accent + "55", width: 1, paths: bars, points: { show: false } },
        { label: "Net " + d.currency, scale: "net", stroke: "#1f9a5b", width: 2, points: { show: true, size: 4 } },
      ],
      axes: [
        Object.assign({ space: step === "week" ? 60 : 50 }, axis),
        Object.assign({ size: 60 }, axis),
        Object.assign({ scale: "net", side: 1, size: 60, grid: { show: false } }, axis),
      ],
      legend: { live: true },
    };
    const u = new uPlot(opts, [s.t, s.diamonds.map(Number), s.net.map(Number)], el);
    if (window.ResizeObserver) {
      new ResizeObserver(() => u.setSize({ width: Math.max(el.clientWidth, 280), height: 220 })).observe(el);
    }
  }
  chart("chart-day", d.day, "day");
  chart("chart-week", d.week, "week");

  // Show only the fields of the chosen payout method kind.
  const form = document.querySelector(".method-form");
  if (form) {
    const sync = () => {
      const kind = (form.querySelector('input[name="kind"]:checked') || {}).value;
      form.querySelectorAll("[data-kind]").forEach((div) => { div.hidden = div.dataset.kind !== kind; });
    };
    form.addEventListener("change", sync);
    sync();
  }
})();
