// mpsim's report.html: the run's summary and linked uPlot plots, drawn
// from the JSON in #mpsim-data (see experiments/src/report/data.rs).
// When every plot has drawn once, #report gets data-ready="1" and
// data-plots="N" (the headless-browser test reads them); an error shows
// in #error and sets data-error.
(function () {
  "use strict";
  const root = document.getElementById("report");
  const errorBox = document.getElementById("error");

  function fail(msg) {
    errorBox.style.display = "block";
    errorBox.textContent = "The report could not be drawn: " + msg;
    root.setAttribute("data-error", String(msg));
  }
  window.addEventListener("error", function (e) { fail(e.message || String(e)); });

  const ACK = "#0000ff";
  const REINJECTED = "#c80000";
  const MARK = { down: "#d62728", up: "#2a9d2a", first: "#444444", join: "#444444", closed: "#999999", endpoint: "#8c564b", advisory: "#e6a700" };
  const pr = () => (window.devicePixelRatio || 1);

  // --- small DOM helpers -------------------------------------------------
  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    for (const c of children || []) if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    return e;
  }
  const fmtInt = (n) => (n == null ? "—" : Number(n).toLocaleString("en-US"));
  const fmtS = (s, d) => (s == null ? "—" : s.toFixed(d == null ? 3 : d) + " s");
  function fmtBytes(n) {
    if (n == null) return "—";
    if (n >= 1e9) return (n / 1e9).toFixed(2) + " GB";
    if (n >= 1e6) return (n / 1e6).toFixed(2) + " MB";
    if (n >= 1e3) return (n / 1e3).toFixed(1) + " kB";
    return n + " B";
  }
  function table(head, rows, numeric) {
    const tr = (cells, tag) =>
      el("tr", {}, cells.map((c, i) => el(tag, numeric && numeric[i] ? { cls: "n" } : {}, [c instanceof Node ? c : String(c)])));
    return el("table", {}, [el("thead", {}, [tr(head, "th")]), el("tbody", {}, rows.map((r) => tr(r, "td")))]);
  }
  function swatch(color) {
    const s = el("span", { cls: "swatch" });
    s.style.background = color;
    return s;
  }
  function undelta(a) {
    const out = new Array(a.length);
    let v = 0;
    for (let i = 0; i < a.length; i++) { v += a[i]; out[i] = v; }
    return out;
  }

  // --- the summary ---------------------------------------------------------
  function summary(D) {
    root.appendChild(el("h1", { text: D.scenario || "mpsim run" }));
    if (D.description) root.appendChild(el("p", { cls: "desc", text: D.description }));
    const cards = el("div", { cls: "cards" });
    root.appendChild(cards);
    const outcome = el("span", { cls: D.outcome === "completed" ? "outcome-completed" : "outcome-other", text: D.outcome });
    cards.appendChild(el("div", { cls: "card" }, [
      el("h2", { text: "Run" }),
      table(["", ""], [
        ["seed", String(D.seed)],
        ["outcome", outcome],
        ["simulated", fmtS(D.stop_s, 1)],
        ["events", fmtInt(D.events)],
        ["connections", fmtInt(D.connections_total)],
      ]),
    ]));
    if (D.stack.length) {
      cards.appendChild(el("div", { cls: "card" }, [
        el("h2", { text: "Stack (connection 0)" }),
        table(["", ""], D.stack.map((p) => [p[0], p[1]])),
      ]));
    }
    cards.appendChild(el("div", { cls: "card" }, [
      el("h2", { text: "Interfaces" }),
      table(["", ""], D.ifaces.map((f, i) => [el("span", {}, [swatch(f.color), f.name]), "iface " + i])),
    ]));
    if (D.connections.length) {
      const rows = D.connections.map((c, i) => [
        String(i), c.outcome, fmtInt(c.bytes_delivered), fmtInt(c.bytes_requested),
        (c.goodput_bps / 1e6).toFixed(2), fmtS(c.completion_s), fmtInt(c.reinjected_bytes),
        fmtInt(c.ooo_max_bytes), c.mptcp ? "MPTCP" : "TCP", String(c.subflows.length),
      ]);
      const more = D.connections_total > D.connections.length
        ? el("p", { cls: "note", text: "The first " + D.connections.length + " of " + D.connections_total + " connections; all are in flows.csv and metrics.json." })
        : null;
      root.appendChild(el("div", { cls: "card" }, [
        el("h2", { text: "Connections" }),
        table(["conn", "outcome", "delivered (B)", "requested (B)", "goodput (Mb/s)", "completion", "reinjected (B)", "max out-of-order (B)", "", "subflows"],
          rows, [false, false, true, true, true, true, true, true, false, true]),
        more,
      ]));
      const c0 = D.connections[0];
      if (c0.subflows.length) {
        const color = (name) => { const f = D.ifaces.find((x) => x.name === name); return f ? f.color : "#888"; };
        const rows = c0.subflows.map((s, k) => [
          String(k), el("span", {}, [swatch(color(s.iface)), s.iface]), s.backup ? "yes" : "",
          fmtS(s.opened_s), fmtS(s.established_s), s.closed_s == null ? "open" : fmtS(s.closed_s) + " (" + s.close_reason + ")",
          fmtInt(s.bytes_sent), fmtInt(s.bytes_retransmitted), fmtInt(s.rto_count),
          s.srtt_ms_mean == null ? "—" : s.srtt_ms_mean.toFixed(1),
        ]);
        root.appendChild(el("div", { cls: "card" }, [
          el("h2", { text: "Subflows of connection 0 (both ends' counters)" }),
          table(["subflow", "interface", "backup", "opened", "established", "closed", "bytes sent", "retransmitted", "RTOs", "mean srtt (ms)"],
            rows, [true, false, false, true, true, true, true, true, true, true]),
        ]));
      }
    }
    if (D.markers.length) {
      root.appendChild(el("div", { cls: "card" }, [
        el("h2", { text: "Events (markers in the plots)" }),
        table(["time", "event"], D.markers.map((m) => [fmtS(m.t), el("span", {}, [swatch(MARK[m.kind] || "#888"), m.label])]), [true, false]),
      ]));
    }
  }

  // --- plots -------------------------------------------------------------
  const plots = [];
  const drawn = new Set();
  let expected = 0;
  let linking = false;
  let xFull = [0, 1];

  function noteDrawn(u) {
    drawn.add(u);
    if (drawn.size === expected && root.getAttribute("data-error") == null) {
      root.setAttribute("data-plots", String(drawn.size));
      root.setAttribute("data-ready", "1");
    }
  }

  function linkX(u, key) {
    if (key !== "x" || linking) return;
    linking = true;
    try {
      for (const p of plots) if (p !== u) p.setScale("x", { min: u.scales.x.min, max: u.scales.x.max });
    } finally {
      linking = false;
    }
  }

  function resetAll() {
    for (const p of plots) {
      if (p.mpsimYFull) p.setScale("y", { min: p.mpsimYFull[0], max: p.mpsimYFull[1] });
    }
    if (plots.length) plots[0].setScale("x", { min: xFull[0], max: xFull[1] });
  }

  function zoomAt(u, key, at, f) {
    const s = u.scales[key];
    if (s.min == null) return;
    u.setScale(key, { min: at - (at - s.min) * f, max: at + (s.max - at) * f });
  }

  // Wheel zooms (x, and y on the sequence graph) around the cursor;
  // shift-drag or the middle button pans; double-click resets every plot.
  function navigation(withY) {
    return {
      hooks: {
        ready: function (u) {
          u.over.addEventListener("wheel", function (e) {
            e.preventDefault();
            const f = e.deltaY < 0 ? 0.8 : 1.25;
            const r = u.over.getBoundingClientRect();
            u.mpsimManualY = withY;
            u.batch(function () {
              if (withY) zoomAt(u, "y", u.posToVal(e.clientY - r.top, "y"), f);
              zoomAt(u, "x", u.posToVal(e.clientX - r.left, "x"), f);
            });
            u.mpsimManualY = false;
          }, { passive: false });
        },
      },
    };
  }

  function startPan(u, e, withY) {
    const x0 = e.clientX, y0 = e.clientY;
    const sx = { min: u.scales.x.min, max: u.scales.x.max };
    const sy = withY ? { min: u.scales.y.min, max: u.scales.y.max } : null;
    const w = u.over.clientWidth, h = u.over.clientHeight;
    const move = function (ev) {
      const dx = (ev.clientX - x0) / w * (sx.max - sx.min);
      u.mpsimManualY = !!sy;
      u.batch(function () {
        if (sy) {
          const dy = (ev.clientY - y0) / h * (sy.max - sy.min);
          u.setScale("y", { min: sy.min + dy, max: sy.max + dy });
        }
        u.setScale("x", { min: sx.min - dx, max: sx.max - dx });
      });
      u.mpsimManualY = false;
    };
    const up = function () {
      document.removeEventListener("mousemove", move);
      document.removeEventListener("mouseup", up);
    };
    document.addEventListener("mousemove", move);
    document.addEventListener("mouseup", up);
  }

  function drawMarkers(u, labels) {
    const ctx = u.ctx, b = u.bbox, p = pr();
    ctx.save();
    ctx.beginPath();
    ctx.rect(b.left, b.top, b.width, b.height);
    ctx.clip();
    ctx.lineWidth = p;
    ctx.font = Math.round(11 * p) + "px system-ui, sans-serif";
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    const rowsEnd = [-1e9, -1e9, -1e9];
    for (const m of D.markers) {
      const x = Math.round(u.valToPos(m.t, "x", true)) + 0.5;
      if (x < b.left || x > b.left + b.width) continue;
      ctx.strokeStyle = MARK[m.kind] || "#888";
      ctx.setLineDash([4 * p, 3 * p]);
      ctx.beginPath();
      ctx.moveTo(x, b.top);
      ctx.lineTo(x, b.top + b.height);
      ctx.stroke();
      if (!labels) continue;
      const w = ctx.measureText(m.label).width + 4 * p;
      const row = rowsEnd.findIndex((end) => end < x);
      if (row < 0) continue;
      const y = b.top + 2 * p + row * 14 * p;
      ctx.setLineDash([]);
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(x + 2 * p, y, w, 13 * p);
      ctx.fillStyle = MARK[m.kind] || "#888";
      ctx.fillText(m.label, x + 4 * p, y + p);
      rowsEnd[row] = x + w + 6 * p;
    }
    ctx.restore();
  }

  function width() {
    return Math.max(360, Math.min(1200, root.clientWidth - 60));
  }

  function container(title, note) {
    const box = el("div", { cls: "plot" }, [el("h2", { text: title }), note ? el("p", { cls: "note", text: note }) : null]);
    root.appendChild(box);
    return box;
  }

  // A time plot: x in seconds, shared cursor and zoom.
  function timePlot(title, note, yLabel, x, lines, extra) {
    const box = container(title, note);
    const labels = plots.length === 0;
    const opts = {
      width: width(),
      height: 230,
      scales: Object.assign({ x: { time: false } }, (extra && extra.scales) || {}),
      axes: [{ label: "time (s)" }, { label: yLabel, size: 64 }].concat((extra && extra.axes) || []),
      series: [{ label: "time", value: (u, v) => (v == null ? "—" : v.toFixed(3) + " s") }].concat(lines),
      cursor: {
        y: false,
        sync: { key: "mpsim", setSeries: false },
        drag: { x: true, y: false },
        bind: {
          mousedown: (u, t, h) => (e) => { if (e.shiftKey || e.button === 1) { e.preventDefault(); startPan(u, e, false); return null; } return h(e); },
          dblclick: () => () => { resetAll(); return null; },
        },
      },
      plugins: [navigation(false)],
      hooks: {
        draw: [(u) => { drawMarkers(u, labels); noteDrawn(u); }],
        setScale: [linkX],
      },
    };
    const u = new uPlot(opts, [x].concat(lines.map((l) => l.data)), box);
    plots.push(u);
    return u;
  }

  function line(label, color, data, unit, digits, dash) {
    return {
      label: label, stroke: color, width: 1.5 * 1, data: data, spanGaps: false, dash: dash,
      points: { show: false },
      value: (u, v) => (v == null ? "—" : v.toFixed(digits) + " " + unit),
    };
  }

  function sequencePlot(S) {
    const t0 = S.t0, t1 = S.t1;
    const series = S.data.map((d) => ({ t: undelta(d.t_us).map((v) => v / 1e6), s: undelta(d.seq).map((v) => v / 1e6), len: d.len.map((v) => v / 1e6), re: d.reinjected }));
    const ackT = undelta(S.ack_t_us).map((v) => v / 1e6);
    const ackS = undelta(S.ack_seq).map((v) => v / 1e6);
    const show = { acks: true, re: true, ifaces: D.ifaces.map(() => true) };
    const note = (S.bucket_s
      ? "Thinned: " + fmtInt(S.segments) + " data segments shown as marks merged per interface and " + (S.bucket_s * 1e3).toFixed(2) + " ms bucket (sequence.csv has every one). "
      : fmtInt(S.segments) + " data segments. ") +
      "Each segment is a vertical bar from its first to its last byte; reinjected data has a red ring; the blue line is the data-ACK the client sent (in-order data received).";
    const box = container("Data sequence of connection 0 (data sent by the server, data-ACKs from the client)", note);
    const legend = el("div", { cls: "seqlegend" });
    const readout = el("span", { cls: "readout", text: "" });
    function toggle(label, color, get, set) {
      const cb = el("input", { type: "checkbox" });
      cb.checked = get();
      cb.addEventListener("change", () => { set(cb.checked); u.redraw(false); });
      return el("label", {}, [cb, swatch(color), label]);
    }
    D.ifaces.forEach((f, i) => { if (series[i] && series[i].t.length) legend.appendChild(toggle(f.name, f.color, () => show.ifaces[i], (v) => { show.ifaces[i] = v; })); });
    legend.appendChild(toggle("reinjected", REINJECTED, () => show.re, (v) => { show.re = v; }));
    legend.appendChild(toggle("data-ACK", ACK, () => show.acks, (v) => { show.acks = v; }));
    legend.appendChild(readout);

    function lower(a, v) { let lo = 0, hi = a.length; while (lo < hi) { const m = (lo + hi) >> 1; if (a[m] < v) lo = m + 1; else hi = m; } return lo; }

    function drawSeq(u) {
      const ctx = u.ctx, b = u.bbox, p = pr();
      const xmin = u.scales.x.min, xmax = u.scales.x.max;
      const X = (v) => u.valToPos(v, "x", true), Y = (v) => u.valToPos(v, "y", true);
      ctx.save();
      ctx.beginPath();
      ctx.rect(b.left, b.top, b.width, b.height);
      ctx.clip();
      let visible = 0;
      const ranges = series.map((s) => { const i0 = lower(s.t, xmin), i1 = lower(s.t, xmax + 1e-9); visible += i1 - i0; return [i0, i1]; });
      const detail = visible < 3000;
      // The data-ACKs first, under the data.
      if (show.acks && ackT.length) {
        const j0 = Math.max(0, lower(ackT, xmin) - 1), j1 = Math.min(ackT.length, lower(ackT, xmax) + 1);
        ctx.strokeStyle = ACK;
        ctx.lineWidth = p;
        ctx.beginPath();
        let prevY = null;
        for (let j = j0; j < j1; j++) {
          const x = X(ackT[j]), y = Y(ackS[j]);
          if (prevY == null) ctx.moveTo(x, y); else { ctx.lineTo(x, prevY); ctx.lineTo(x, y); }
          prevY = y;
        }
        ctx.stroke();
        if (j1 - j0 < 1500) {
          ctx.lineWidth = p;
          ctx.beginPath();
          const c = 3 * p;
          for (let j = j0; j < j1; j++) {
            const x = X(ackT[j]), y = Y(ackS[j]);
            ctx.moveTo(x - c, y - c); ctx.lineTo(x + c, y + c);
            ctx.moveTo(x - c, y + c); ctx.lineTo(x + c, y - c);
          }
          ctx.stroke();
        }
      }
      series.forEach((s, i) => {
        if (!show.ifaces[i]) return;
        ctx.fillStyle = D.ifaces[i].color;
        const [i0, i1] = ranges[i];
        for (let k = i0; k < i1; k++) {
          const x = X(s.t[k]), ya = Y(s.s[k] + s.len[k]), yb = Y(s.s[k]);
          const w = detail ? 2 * p : 1.5 * p;
          ctx.fillRect(x - w / 2, ya, w, Math.max(2 * p, yb - ya));
          if (detail) ctx.fillRect(x - 3 * p, ya, 6 * p, p);
        }
      });
      if (show.re) {
        ctx.strokeStyle = REINJECTED;
        ctx.lineWidth = 1.2 * p;
        ctx.beginPath();
        series.forEach((s, i) => {
          if (!show.ifaces[i]) return;
          const [i0, i1] = ranges[i];
          for (const k of s.re) {
            if (k < i0 || k >= i1) continue;
            const x = X(s.t[k]), y = Y(s.s[k] + s.len[k] / 2), r = 4 * p;
            ctx.moveTo(x + r, y);
            ctx.arc(x, y, r, 0, 2 * Math.PI);
          }
        });
        ctx.stroke();
      }
      ctx.restore();
    }

    // The vertical range of what is visible between the x scale's ends
    // (as xplot's zoom shows it), with a margin.
    function fitY(u) {
      const xmin = u.scales.x.min, xmax = u.scales.x.max;
      let lo = Infinity, hi = -Infinity;
      series.forEach((s, i) => {
        if (!show.ifaces[i]) return;
        for (let k = lower(s.t, xmin), k1 = lower(s.t, xmax + 1e-9); k < k1; k++) {
          lo = Math.min(lo, s.s[k]);
          hi = Math.max(hi, s.s[k] + s.len[k]);
        }
      });
      if (show.acks) {
        for (let j = lower(ackT, xmin), j1 = lower(ackT, xmax + 1e-9); j < j1; j++) {
          lo = Math.min(lo, ackS[j]);
          hi = Math.max(hi, ackS[j]);
        }
      }
      if (!(lo < hi)) return;
      const m = (hi - lo) * 0.05;
      u.setScale("y", { min: Math.max(yFull[0], lo - m), max: Math.min(yFull[1], hi + m) });
    }

    const pad = Math.max((S.s1 - S.s0) * 0.02, 1e3) / 1e6;
    const yFull = [S.s0 / 1e6 - pad, S.s1 / 1e6 + pad];
    const opts = {
      width: width(),
      height: 440,
      legend: { show: false },
      scales: { x: { time: false }, y: { auto: false, range: () => yFull.slice() } },
      axes: [{ label: "time (s)" }, { label: "data sequence (MB from the first byte)", size: 64 }],
      series: [{}, { label: "extent", stroke: "rgba(0,0,0,0)", paths: () => null, points: { show: false } }],
      cursor: {
        sync: { key: "mpsim", setSeries: false },
        drag: { x: true, y: false },
        bind: {
          mousedown: (u, t, h) => (e) => { if (e.shiftKey || e.button === 1) { e.preventDefault(); startPan(u, e, true); return null; } return h(e); },
          dblclick: () => () => { resetAll(); return null; },
        },
      },
      plugins: [navigation(true)],
      hooks: {
        draw: [(u) => { drawSeq(u); drawMarkers(u, true); noteDrawn(u); }],
        setScale: [linkX, (u, key) => { if (key === "x" && !u.mpsimManualY) queueMicrotask(() => fitY(u)); }],
        setCursor: [(u) => {
          const l = u.cursor.left, t = u.cursor.top;
          readout.textContent = l == null || l < 0 ? "" : "t " + u.posToVal(l, "x").toFixed(4) + " s, data sequence " + u.posToVal(t, "y").toFixed(4) + " MB";
        }],
      },
    };
    const u = new uPlot(opts, [[t0, t1], [yFull[0], yFull[1]]], box);
    u.mpsimYFull = yFull;
    box.appendChild(legend);
    plots.push(u);
  }

  function subflowColors(lines) {
    // A second subflow on the same interface is dashed.
    const seen = {};
    return lines.map((l) => { seen[l.iface] = (seen[l.iface] || 0) + 1; return seen[l.iface] > 1 ? [6, 3] : undefined; });
  }

  const D = JSON.parse(document.getElementById("mpsim-data").textContent);
  try {
    summary(D);
    xFull = [0, D.x_end_s];
    expected = (D.sequence ? 1 : 0) + (D.throughput ? 1 : 0) + (D.subflows ? 2 : 0) + (D.progress ? 1 : 0);
    if (D.sequence) sequencePlot(D.sequence);
    if (D.throughput) {
      const T = D.throughput;
      const n = T.bytes.length ? T.bytes[0].length : 0;
      const x = Array.from({ length: n }, (_, k) => k * T.bin_s);
      const lines = T.bytes.map((b, i) => {
        const l = line(D.ifaces[i].name, D.ifaces[i].color, b.map((v) => v * 8 / T.bin_s / 1e6), "Mb/s", 2);
        l.paths = uPlot.paths.stepped({ align: 1 });
        return l;
      });
      timePlot("Throughput sent by the server per interface (all connections)", "Bytes of data segments in " + (T.bin_s * 1e3).toFixed(0) + " ms bins.", "Mb/s", x, lines);
    }
    if (D.subflows) {
      const S = D.subflows;
      const dashes = subflowColors(S.lines);
      const note = S.stride > 1 ? "Each point is the largest of " + S.stride + " consecutive samples." : "Sampled every record.sample_interval.";
      timePlot("Congestion window per subflow of connection 0 (server)", note, "cwnd (kB)", S.t,
        S.lines.map((l, i) => line(l.label, D.ifaces[l.iface].color, l.cwnd_bytes.map((v) => (v == null ? null : v / 1e3)), "kB", 1, dashes[i])));
      timePlot("Smoothed RTT per subflow of connection 0 (server)", note, "srtt (ms)", S.t,
        S.lines.map((l, i) => line(l.label, D.ifaces[l.iface].color, l.srtt_ms, "ms", 2, dashes[i])));
    }
    if (D.progress) {
      const P = D.progress;
      const note = (P.stride > 1 ? "Each point is the largest of " + P.stride + " consecutive samples. " : "") +
        "The data-ACK is the in-order data the client received; the out-of-order queue holds data beyond a hole.";
      const ack = line("data-ACK", ACK, P.data_ack.map((v) => v / 1e6), "MB", 3);
      const ooo = line("out-of-order queue", REINJECTED, P.ooo_bytes.map((v) => v / 1e3), "kB", 1);
      ooo.scale = "ooo";
      ooo.paths = uPlot.paths.stepped({ align: 1 });
      timePlot("Data-level progress of connection 0 (client)", note, "data-ACK (MB)", P.t, [ack, ooo], {
        scales: { ooo: { range: (u, mn, mx) => [0, Math.max(1, mx)] } },
        axes: [{ scale: "ooo", side: 1, label: "out-of-order (kB)", size: 64, grid: { show: false } }],
      });
    }
    if (!expected) {
      root.appendChild(el("p", { cls: "note", text: "This run recorded neither sequence.csv nor timeseries.csv: there is nothing to plot." }));
      root.setAttribute("data-plots", "0");
      root.setAttribute("data-ready", "1");
    }
    if (expected) root.appendChild(el("p", { cls: "help", text: "Drag to zoom into a time range (the sequence graph fits its vertical range to what is visible), wheel to zoom (on the sequence graph also vertically), shift-drag or middle-drag to pan, double-click to reset. The time axes of every plot move together. Open as report.html#t=4.9:5.3 to start zoomed into 4.9 to 5.3 s." }));
    for (const p of plots) p.setScale("x", { min: xFull[0], max: xFull[1] });
    // report.html#t=T0:T1 opens zoomed into T0..T1 seconds.
    const m = /[#&]t=([0-9.]+):([0-9.]+)/.exec(window.location.hash);
    if (m && plots.length && Number(m[1]) < Number(m[2])) plots[0].setScale("x", { min: Number(m[1]), max: Number(m[2]) });
    window.addEventListener("resize", () => { for (const p of plots) p.setSize({ width: width(), height: p.height }); });
  } catch (e) {
    fail(e && e.stack ? e.stack : String(e));
  }
})();
