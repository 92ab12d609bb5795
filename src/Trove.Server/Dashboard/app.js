// Trove dashboard: plain JS, no build step. Every value from the API is written with textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { model: "" };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// The API lives next to the dashboard: "/dashboard/" at the root, "/PREFIX/dashboard/" when a host app mounts Trove.
const base = location.pathname.slice(0, location.pathname.lastIndexOf("/dashboard/"));

async function api(path) {
  const sep = path.includes("?") ? "&" : "?";
  const url = base + (state.model ? `${path}${sep}model=${encodeURIComponent(state.model)}` : path);
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && (body.detail || body.title) ? `${body.title}: ${body.detail ?? ""}` : `HTTP ${response.status}`;
    throw Object.assign(new Error(message), { status: response.status });
  }
  return body;
}

const fmt = (n, digits = 0) => typeof n === "number" ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : String(n ?? "");

// ---- charts ---------------------------------------------------------------------------------

function barChart(container, bins) {
  container.replaceChildren();
  const w = 360, h = 180, left = 40, bottom = 30, top = 10;
  const root = svg("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img" });
  const max = Math.max(1, ...bins.map((b) => b.count));
  const bw = (w - left - 10) / Math.max(1, bins.length);
  root.append(svg("line", { x1: left, y1: h - bottom, x2: w - 5, y2: h - bottom, class: "axis" }));
  root.append(svg("text", { x: 2, y: top + 8 }, fmt(max)));
  bins.forEach((b, i) => {
    const bh = ((h - bottom - top) * b.count) / max;
    const x = left + i * bw;
    const rect = svg("rect", { x: x + 1, y: h - bottom - bh, width: Math.max(1, bw - 2), height: bh, class: "bar" });
    rect.append(svg("title", {}, `${b.from === b.to ? b.from : `${b.from}-${b.to}`}: ${fmt(b.count)}`));
    root.append(rect);
    if (bins.length <= 16 || i % 2 === 0) root.append(svg("text", { x: x + 2, y: h - bottom + 12 }, String(b.from)));
  });
  container.append(root);
}

function lineChart(container, values) {
  container.replaceChildren();
  const w = 360, h = 180, left = 40, bottom = 30, top = 10;
  const root = svg("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img" });
  root.append(svg("line", { x1: left, y1: h - bottom, x2: w - 5, y2: h - bottom, class: "axis" }));
  root.append(svg("line", { x1: left, y1: top, x2: left, y2: h - bottom, class: "axis" }));
  const pts = values.map((v, i) => `${left + (i * (w - left - 10)) / Math.max(1, values.length - 1)},${h - bottom - v * (h - bottom - top)}`);
  root.append(svg("polyline", { points: pts.join(" "), class: "line" }));
  root.append(svg("text", { x: 2, y: top + 8 }, "100%"));
  root.append(svg("text", { x: left, y: h - bottom + 14 }, "0% of items"));
  root.append(svg("text", { x: w - 40, y: h - bottom + 14 }, "100%"));
  const at20 = values[4];
  if (at20 !== undefined) root.append(svg("text", { x: left + 60, y: top + 30 }, `top 20% of items: ${(at20 * 100).toFixed(0)}% of interactions`));
  container.append(root);
}

// ---- data set -------------------------------------------------------------------------------

async function loadStats() {
  const s = await api("/api/stats");
  const d = s.data;
  $("model-version").textContent = `${s.algorithm} · ${s.modelVersion}`;
  const cards = [
    ["users", fmt(d.users)], ["items", fmt(d.items)], ["interactions", fmt(d.interactions)],
    ["density", `${(d.density * 100).toFixed(3)}%`], ["per user (mean / median)", `${fmt(d.meanPerUser, 1)} / ${d.medianPerUser}`],
    ["per item (mean / median)", `${fmt(d.meanPerItem, 1)} / ${d.medianPerItem}`], ["items without users", fmt(d.coldItems)],
    ["events since start", fmt(s.events.count)], ["source", d.source || s.dataFile || "-"],
  ];
  $("stat-cards").replaceChildren(...cards.map(([label, value]) => el("div", { class: "card" }, el("b", {}, value), label)));
  barChart($("chart-users"), d.userActivity);
  barChart($("chart-items"), d.itemPopularity);
  lineChart($("chart-tail"), d.longTail);
  $("top-items").tBodies[0].replaceChildren(...d.topItems.map((t, i) =>
    el("tr", {}, el("td", { class: "num" }, String(i + 1)), el("td", {}, itemLink(t.item)), el("td", {}, t.title ?? ""), el("td", { class: "num" }, fmt(t.users)))));
  const figures = await fetch(base + "/api/figures").then((r) => (r.ok ? r.json() : [])).catch(() => []);
  $("figures").replaceChildren(...figures.map((f) =>
    f.endsWith(".html") ? el("p", {}, el("a", { href: base + f, target: "_blank" }, decodeURIComponent(f.split("/").pop()))) : el("img", { src: base + f, alt: f, loading: "lazy" })));
}

// ---- evaluation -----------------------------------------------------------------------------

/** Finds the first array of flat objects in a report (the table of models and metrics). */
function findRows(value, depth = 0) {
  if (Array.isArray(value) && value.length && value.every((r) => r && typeof r === "object" && !Array.isArray(r))) return value;
  if (value && typeof value === "object" && depth < 3)
    for (const v of Object.values(value)) { const rows = findRows(v, depth + 1); if (rows) return rows; }
  return null;
}

async function loadEvaluation() {
  const body = $("evaluation-body");
  try {
    const report = await api("/api/evaluation");
    const rows = findRows(report);
    if (!rows) { body.replaceChildren(el("pre", {}, JSON.stringify(report, null, 2))); return; }
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => typeof r[k] !== "object" || r[k] === null)))];
    const table = el("table", { id: "evaluation-table" },
      el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", {}, c)))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...columns.map((c) =>
        el("td", { class: typeof r[c] === "number" ? "num" : "" }, typeof r[c] === "number" ? fmt(r[c], 4) : String(r[c] ?? "")))))));
    body.className = "";
    body.replaceChildren(table);
  } catch (e) {
    body.className = "muted";
    body.textContent = e.status === 404 ? "No evaluation report: start the server with --evaluation report.json." : e.message;
  }
}

// ---- user explorer --------------------------------------------------------------------------

function itemLink(id, title) {
  return el("a", { class: "item", href: `#/item/${encodeURIComponent(id)}`, "data-item": id }, title ? `${title} (${id})` : id);
}

function userLink(id) {
  return el("a", { class: "user", href: `#/user/${encodeURIComponent(id)}`, "data-user": id }, id);
}

async function showUser(user) {
  $("user-id").value = user;
  $("user-error").hidden = true;
  const k = Math.max(1, Math.min(100, Number($("k").value) || 10));
  const params = new URLSearchParams({ k: String(k) });
  if ($("explain").checked) params.set("explain", "true");
  if ($("fallback").checked) params.set("fallback", "popular");
  const filter = $("filter").value.trim();
  if (filter) params.set("filter", filter);
  try {
    const recs = await api(`/users/${encodeURIComponent(user)}/recommendations?${params}`);
    $("rec-meta").textContent = `${recs.algorithm}${recs.coldStart ? " · popular fallback" : ""}${recs.newEvents ? ` · ${recs.newEvents} new events` : ""}`;
    $("recommendations").replaceChildren(...recs.items.map((r) => {
      const li = el("li", { "data-item": r.item }, itemLink(r.item, r.title), el("span", { class: "score" }, r.score.toFixed(4)));
      if (r.because && r.because.length)
        li.append(el("div", { class: "because" }, "because of ", ...r.because.flatMap((b, i) => [i ? ", " : "", b.title ?? b.item])));
      return li;
    }));
    $("user-panel").hidden = false;
  } catch (e) {
    $("user-panel").hidden = true;
    $("user-error").textContent = e.message;
    $("user-error").hidden = false;
    return;
  }
  api(`/users/${encodeURIComponent(user)}/history`).then((h) => {
    $("history-meta").textContent = `${fmt(h.trainingCount)} in training, ${h.events.length} new events`;
    $("history").replaceChildren(
      ...h.events.map((e) => el("li", {}, itemLink(e.item), ` · ${e.event} (new)`)),
      ...h.training.slice(0, 30).map((t) => el("li", {}, itemLink(t.item, t.title), el("span", { class: "score" }, fmt(t.weight, 2)))));
  }).catch(() => $("history").replaceChildren());
  api(`/users/${encodeURIComponent(user)}/similar?k=5`).then((s) => {
    $("similar-users").replaceChildren(...s.items.map((u) => el("li", {}, userLink(u.id), el("span", { class: "score" }, u.score.toFixed(3)))));
  }).catch((e) => $("similar-users").replaceChildren(el("li", { class: "muted" }, e.message)));
}

async function showItem(item) {
  const panel = $("item-panel");
  $("item-id").textContent = item;
  try {
    const details = await api(`/items/${encodeURIComponent(item)}`);
    $("item-features").replaceChildren(
      el("dt", {}, "users"), el("dd", {}, fmt(details.users)),
      ...Object.entries(details.features).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "")]));
    const similar = await api(`/items/${encodeURIComponent(item)}/similar?k=10`);
    $("similar-items").replaceChildren(...similar.items.map((s) =>
      el("li", { "data-item": s.id }, itemLink(s.id, s.title), el("span", { class: "score" }, s.score.toFixed(3)))));
  } catch (e) {
    $("item-features").replaceChildren();
    $("similar-items").replaceChildren(el("li", { class: "error" }, e.message));
  }
  panel.hidden = false;
  panel.scrollIntoView({ block: "nearest" });
}

// Scheduled retraining (--retrain): the schedule, the next time and the last run's outcome, from /ready.
async function loadRetraining() {
  const ready = await api("/ready").catch(() => null);
  const r = ready && ready.retraining;
  const box = $("retraining");
  if (!r) { box.hidden = true; return; }
  const last = r.lastRun;
  const lastText = !last ? "no run yet"
    : last.outcome === "running" ? `running since ${last.startedUtc}`
    : `last run ${last.outcome} at ${last.finishedUtc} in ${fmt(last.durationSeconds, 1)} s${last.error ? `: ${last.error}` : ""}`;
  box.textContent = `retraining ${r.model} "${r.schedule}" (next ${r.nextRunUtc ?? "none"}); ${lastText}`;
  box.dataset.outcome = last ? last.outcome : "none";
  box.hidden = false;
}

function route() {
  const m = location.hash.match(/^#\/(user|item)\/(.+)$/);
  if (!m) return;
  const id = decodeURIComponent(m[2]);
  if (m[1] === "user") showUser(id); else showItem(id);
}

async function init() {
  const models = await api("/models");
  $("model").replaceChildren(...models.map((m) => el("option", { value: m.name }, `${m.name} (${m.algorithm})`)));
  state.model = models.length ? models[0].name : "";
  $("model").addEventListener("change", () => { state.model = $("model").value; loadStats(); route(); });
  $("lookup-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const user = $("user-id").value.trim();
    if (!user) return;
    const hash = `#/user/${encodeURIComponent(user)}`;
    if (location.hash === hash) showUser(user); else location.hash = hash;
  });
  window.addEventListener("hashchange", route);
  await Promise.all([loadStats(), loadEvaluation(), loadRetraining()]);
  setInterval(loadRetraining, 30000);
  route();
  document.body.dataset.ready = "true";
}

init().catch((e) => { document.body.prepend(el("div", { class: "error" }, `Dashboard failed to load: ${e.message}`)); });
