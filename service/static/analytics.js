// clinrules alert analytics (GET /analytics): a table of the numbers and Chart.js charts of them.
"use strict";

// Sixteen colours, more than there are rules; past them a series also changes its line dash and point shape,
// so that no two series on a chart ever look alike.
const PALETTE = ["#1d4ed8", "#b00020", "#a15c00", "#0f766e", "#7c3aed", "#be185d", "#4d7c0f", "#475569",
  "#0369a1", "#c2410c", "#15803d", "#9333ea", "#854d0e", "#0e7490", "#9f1239", "#1e293b"];
const DASHES = [[], [6, 3], [2, 2], [10, 3, 2, 3]];
const POINTS = ["circle", "rect", "triangle", "rectRot"];
const charts = {};

function $(id) { return document.getElementById(id); }

function cell(text, numeric) {
  const td = document.createElement("td");
  td.textContent = text;
  if (numeric) td.className = "n";
  return td;
}

function percent(rate) { return `${(rate * 100).toFixed(1)}%`; }

function renderTable(rows) {
  const body = $("rows").querySelector("tbody");
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    tr.dataset.week = r.week;
    tr.dataset.topic = r.topic;
    tr.dataset.version = r.ruleset_version;
    if (r.status === "shadow") tr.className = "shadow";
    const reasons = Object.entries(r.override_reasons).map(([code, n]) => `${code}: ${n}`).join("; ");
    tr.append(
      cell(r.week), cell(r.ruleset_version), cell(r.title ? `${r.topic} — ${r.title}` : r.topic), cell(r.status),
      cell(String(r.evaluations), true), cell(String(r.firings), true), cell(percent(r.firing_rate), true),
      cell(r.shadow_firings ? `${r.shadow_firings} (${percent(r.shadow_firing_rate)})` : "–", true),
      cell(String(r.cards), true), cell(String(r.accepted), true), cell(String(r.overridden), true),
      cell(reasons),
    );
    for (const [i, td] of [...tr.children].entries()) td.dataset.column = COLUMNS[i];
    body.append(tr);
  }
}

const COLUMNS = ["week", "ruleset_version", "topic", "status", "evaluations", "firings", "firing_rate",
  "shadow_firings", "cards", "accepted", "overridden", "override_reasons"];

// Sum the rows of one week and topic over rule-set versions.
function byWeekAndTopic(rows, pick) {
  const weeks = [...new Set(rows.map((r) => r.week))].sort();
  const topics = [...new Set(rows.filter(pick).map((r) => r.topic))].sort();
  const sums = new Map();
  for (const r of rows.filter(pick)) {
    const key = `${r.week} ${r.topic}`;
    const s = sums.get(key) || { evaluations: 0, firings: 0, shadow: 0 };
    s.evaluations += r.evaluations; s.firings += r.firings; s.shadow += r.shadow_firings;
    sums.set(key, s);
  }
  return { weeks, topics, get: (week, topic) => sums.get(`${week} ${topic}`) };
}

function draw(id, config) {
  if (charts[id]) charts[id].destroy();
  config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options);
  charts[id] = new window.Chart($(id), config);
}

function dataset(label, data, i, extra) {
  const round = Math.floor(i / PALETTE.length);
  return Object.assign({ label, data, backgroundColor: PALETTE[i % PALETTE.length],
    borderColor: PALETTE[i % PALETTE.length], borderDash: DASHES[round % DASHES.length],
    pointStyle: POINTS[round % POINTS.length] }, extra || {});
}

function renderCharts(rows) {
  const shown = byWeekAndTopic(rows, (r) => r.status !== "shadow");
  draw("rate-chart", {
    type: "line",
    data: { labels: shown.weeks, datasets: shown.topics.map((t, i) => dataset(t, shown.weeks.map((w) => {
      const s = shown.get(w, t);
      return s && s.evaluations ? Math.round(1000 * s.firings / s.evaluations) / 10 : null;
    }), i, { spanGaps: true })) },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: "% of evaluations" } } } },
  });
  const topics = [...new Set(rows.filter((r) => r.cards).map((r) => r.topic))].sort();
  const total = (t, key) => rows.filter((r) => r.topic === t).reduce((n, r) => n + r[key], 0);
  draw("feedback-chart", {
    type: "bar",
    data: { labels: topics, datasets: [
      dataset("accepted", topics.map((t) => total(t, "accepted")), 3),
      dataset("overridden", topics.map((t) => total(t, "overridden")), 1),
      dataset("no feedback", topics.map((t) => total(t, "cards") - total(t, "accepted") - total(t, "overridden")), 7),
    ] },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const shadow = byWeekAndTopic(rows, (r) => r.status === "shadow" || r.shadow_firings > 0);
  draw("shadow-chart", {
    type: "bar",
    data: { labels: shadow.weeks, datasets: shadow.topics.map((t, i) => dataset(t, shadow.weeks.map((w) => {
      const s = shadow.get(w, t);
      return s ? s.shadow : 0;
    }), i + 4)) },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const reasons = new Map();
  for (const r of rows) for (const [code, n] of Object.entries(r.override_reasons)) reasons.set(code, (reasons.get(code) || 0) + n);
  const codes = [...reasons.keys()].sort();
  draw("reasons-chart", {
    type: "bar",
    data: { labels: codes, datasets: [dataset("overridden cards", codes.map((c) => reasons.get(c)), 1)] },
    options: { indexAxis: "y", plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

async function load() {
  const since = $("since").value;
  const query = since ? `?since=${encodeURIComponent(since)}` : "";
  $("csv").href = `/analytics.csv${query}`;
  $("status").textContent = "Loading…";
  $("status").classList.remove("error");
  let response, data;
  try {
    response = await fetch(`/analytics${query}`, { headers: { Accept: "application/json" } });
    data = await response.json();
  } catch (e) {
    $("status").textContent = `The analytics could not be loaded: ${e.message}`;
    $("status").classList.add("error");
    return;
  }
  if (!response.ok) {
    $("status").textContent = data.detail || data.title || `Error ${response.status}`;
    $("status").classList.add("error");
    return;
  }
  $("ruleset-version").textContent = `rule set in force ${data.ruleset_version}`;
  const evaluations = data.weeks.reduce((n, w) => n + w.evaluations, 0);
  $("status").textContent = data.rows.length
    ? `${evaluations} evaluations in ${new Set(data.weeks.map((w) => w.week)).size} weeks${since ? ` since ${since}` : ""}.`
    : "No evaluations are recorded in this period.";
  renderTable(data.rows);
  renderCharts(data.rows);
}

document.addEventListener("DOMContentLoaded", () => {
  // Without ?since= the page opens on the last 12 weeks (the field can be cleared for the whole audit).
  const since = new URLSearchParams(location.search).get("since");
  const twelveWeeksAgo = new Date(Date.now() - 84 * 86400000).toISOString().slice(0, 10);
  $("since").value = since !== null ? since : twelveWeeksAgo;
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  load();
});
