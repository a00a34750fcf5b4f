// Starling dashboard: renders /api/stream snapshots (server-sent events); falls back to polling.
"use strict";
const COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d"];
const $ = (id) => document.getElementById(id);
const num = (v) => (typeof v === "string" ? Number(v) : v);
const fmt = (v, digits) => (Number.isFinite(num(v)) ? num(v).toFixed(digits) : "–");
const mb = (bytes) => (num(bytes) / 1e6).toFixed(2);
// libp2p Ed25519 ids all start with "12D3KooW", so the tail is what tells peers apart.
const shortId = (id) => (id.length > 12 ? "…" + id.slice(-10) : id);

function el(tag, attrs, text) {
  const node = document.createElementNS(tag === "svg-text" || attrs.svg ? "http://www.w3.org/2000/svg"
    : "http://www.w3.org/1999/xhtml", tag === "svg-text" ? "text" : tag);
  for (const [k, v] of Object.entries(attrs)) if (k !== "svg") node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Draws series [{name, points: [[x, y], ...]}] as lines (or bars) with min/max axis labels.
function chart(svg, series, bars) {
  svg.replaceChildren();
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[1]));
  svg.dataset.points = all.length;
  if (all.length === 0) {
    svg.appendChild(el("svg-text", { x: 250, y: 110 }, "no data yet"));
    return;
  }
  const W = 600, H = 220, L = 44, B = 20, T = 8;
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = bars ? 0 : Math.min(...ys), y1 = Math.max(...ys);
  const sx = (x) => L + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - L - 8);
  const sy = (y) => H - B - (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (H - B - T);
  svg.appendChild(el("line", { svg: 1, x1: L, y1: H - B, x2: W - 8, y2: H - B, stroke: "#d1d5db" }));
  svg.appendChild(el("svg-text", { x: 2, y: T + 8 }, y1.toPrecision(4)));
  svg.appendChild(el("svg-text", { x: 2, y: H - B }, y0.toPrecision(4)));
  svg.appendChild(el("svg-text", { x: L, y: H - 4 }, String(Math.round(x0 * 10) / 10)));
  svg.appendChild(el("svg-text", { x: W - 60, y: H - 4 }, String(Math.round(x1 * 10) / 10)));
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (bars) {
      const w = Math.max(2, (W - L - 8) / Math.max(1, pts.length) - 2);
      pts.forEach((p) => svg.appendChild(el("rect", { svg: 1, x: sx(p[0]) - w / 2, y: sy(p[1]), width: w,
        height: H - B - sy(p[1]), fill: color })));
    } else {
      const d = pts.map((p, j) => (j ? "L" : "M") + sx(p[0]).toFixed(1) + " " + sy(p[1]).toFixed(1)).join(" ");
      svg.appendChild(el("path", { svg: 1, d, fill: "none", stroke: color, "stroke-width": 1.5 }));
    }
    if (series.length > 1) svg.appendChild(el("svg-text", { x: W - 110, y: T + 10 + 12 * i, fill: color }, s.name));
  });
}

function render(s) {
  $("run-id").textContent = s.runId ? "run " + s.runId.slice(0, 16) : "run: waiting for the manifest";
  const alive = s.peers.filter((p) => p.alive);
  $("peers-alive").textContent = alive.length + (s.ended ? " (run ended)" : "");
  $("rounds").textContent = s.rounds.length ? s.rounds[s.rounds.length - 1].round : 0;
  const vals = s.rounds.map((r) => num(r.valLoss)).filter(Number.isFinite);
  $("val-loss").textContent = vals.length ? vals[vals.length - 1].toFixed(4) : "–";
  $("tokens").textContent = Math.round(alive.reduce((a, p) => a + num(p.status.tokensPerS), 0));
  $("bytes").textContent = mb(s.peers.reduce((a, p) => a + num(p.status.bytesSent), 0)) + " MB";
  $("rejected").textContent = s.rounds.reduce((a, r) => a + r.rejected, 0);

  const tbody = $("peers").tBodies[0];
  tbody.replaceChildren(...s.peers.map((p) => {
    const state = p.banned ? "banned" : p.alive ? "alive" : "lost";
    const tr = el("tr", { class: state, title: p.status.peerId, "data-peer": p.status.peerId, "data-state": state });
    const st = p.status;
    [shortId(st.peerId), st.device, st.hardware, st.stage, st.round, st.innerStep + "/" + st.innerSteps,
      Math.round(num(st.tokensPerS)), fmt(st.trainLoss, 4), mb(st.bytesSent), mb(st.bytesReceived),
      st.uptimeS + " s", state,
      st.stateHash.slice(0, 8)].forEach((v) => tr.appendChild(el("td", {}, String(v))));
    return tr;
  }));
  const rounds = s.rounds.slice(-20).reverse();
  $("round-table").tBodies[0].replaceChildren(...rounds.map((r) => {
    const tr = el("tr", {});
    [r.round, r.groupSize, r.durationMs, mb(r.bytesSent), fmt(r.compressionRatio, 1), fmt(r.valLoss, 4), r.rejected,
      r.stateHash.slice(0, 8)].forEach((v) => tr.appendChild(el("td", {}, String(v))));
    return tr;
  }));
  renderAccused(s);
  renderStages(s);
  $("events").replaceChildren(...s.events.slice(-50).reverse().map((e) =>
    el("li", { class: e.event.kind }, e.atS.toFixed(1) + " s  " + e.event.kind.toLowerCase() + "  "
      + shortId(e.event.peerId) + "  " + e.event.detail)));

  const byPeer = new Map();
  s.losses.forEach((l) => {
    if (!byPeer.has(l.peerId)) byPeer.set(l.peerId, []);
    byPeer.get(l.peerId).push([l.atS, num(l.trainLoss)]);
  });
  chart($("chart-train"), [...byPeer].map(([id, points]) => ({ name: shortId(id), points })));
  chart($("chart-bandwidth"), bandwidthByPeer(s.losses));
  chart($("chart-val"), [{ name: "val", points: s.rounds.map((r) => [r.round, num(r.valLoss)]) }]);
  const recent = s.rounds.slice(-60); // bars stay readable: the last 60 rounds
  chart($("chart-duration"), [{ name: "ms", points: recent.map((r) => [r.round, r.durationMs]) }], true);
  chart($("chart-bytes"), [{ name: "MB", points: recent.map((r) => [r.round, num(r.bytesSent) / 1e6]) }], true);
  document.body.dataset.version = s.version;
}

// Per-peer rate between consecutive status reports: (Δ sent + Δ received) / Δ t, in KB/s.
function bandwidthByPeer(points) {
  const last = new Map(), series = new Map();
  points.forEach((p) => {
    const prev = last.get(p.peerId), total = num(p.bytesSent) + num(p.bytesReceived);
    if (prev && p.atS > prev.atS && total >= prev.total) {
      if (!series.has(p.peerId)) series.set(p.peerId, []);
      series.get(p.peerId).push([p.atS, (total - prev.total) / (p.atS - prev.atS) / 1e3]);
    }
    last.set(p.peerId, { atS: p.atS, total });
  });
  return [...series].map(([id, pts]) => ({ name: shortId(id), points: pts }));
}

// Accusations and bans from the timeline, plus rounds whose aggregator rejected contributions.
function renderAccused(s) {
  const items = s.events.filter((e) => e.event.kind === "ACCUSED" || e.event.kind === "BANNED")
    .map((e) => ({ atS: e.atS, cls: e.event.kind, text: e.atS.toFixed(1) + " s  " + e.event.kind.toLowerCase() + "  "
      + shortId(e.event.peerId) + "  " + e.event.detail }));
  s.rounds.filter((r) => r.rejected > 0).forEach((r) => items.push({ atS: Infinity, cls: "REJECTED",
    text: "round " + r.round + ": " + r.rejected + " contribution(s) rejected by the aggregator" }));
  const list = items.slice(-50).reverse().map((i) => el("li", { class: i.cls }, i.text));
  $("accused").replaceChildren(...(list.length ? list : [el("li", { class: "none" }, "none so far")]));
}

// One box per pipeline stage with the peers serving it. Without a pipeline that is one stage holding every layer.
function renderStages(s) {
  const n = Math.max(1, s.stages), per = s.layers ? s.layers / n : 0;
  $("stage-map").replaceChildren(...Array.from({ length: n }, (_, i) => {
    const serving = s.peers.filter((p) => p.alive && p.status.stage === i).length;
    const box = el("div", { class: "stage", "data-stage": i });
    box.appendChild(el("div", { class: "name" }, n === 1 ? "1 stage" : "stage " + i));
    box.appendChild(el("div", { class: "peers" }, serving + (serving === 1 ? " peer" : " peers")));
    box.appendChild(el("div", { class: "muted" }, per ? "layers " + i * per + "–" + ((i + 1) * per - 1) : ""));
    if (n === 1) box.appendChild(el("div", { class: "muted" }, "no pipeline: every peer trains the whole model"));
    return box;
  }));
}

function connect() {
  const source = new EventSource("/api/stream");
  source.addEventListener("snapshot", (e) => {
    $("live").textContent = "live";
    $("live").className = "badge";
    render(JSON.parse(e.data));
  });
  source.onerror = () => {
    $("live").textContent = "reconnecting…";
    $("live").className = "badge off";
  };
}

async function admin(path, body) {
  const response = await fetch(path, { method: "POST", body: JSON.stringify(body || {}),
    headers: { Authorization: "Bearer " + $("token").value, "Content-Type": "application/json" } });
  $("admin-result").textContent = response.ok ? "done" : "refused (" + response.status + "): " + await response.text();
}
$("ban").onclick = () => admin("/api/admin/ban", { peer: $("ban-peer").value, reason: "banned from the dashboard" });
$("end").onclick = () => admin("/api/admin/end");
connect();
