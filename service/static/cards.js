// clinrules page, shared helpers: escaping, a small markdown renderer, a card and the derived facts.
// Everything shown is escaped before it is inserted; the markdown renderer knows lists, paragraphs,
// **bold**, *italic*, `code`, [links](https://…) and backslash escapes only.
"use strict";

const $ = (id) => document.getElementById(id);
const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ESC[c]);

function inline(text) {
  // A backslash escape (how the engine writes patient data into the detail) shows its character as
  // written: held aside while the markup below is read, so it can never make a link or emphasis.
  const held = [];
  return esc(String(text ?? "").replace(/\u0000/g, "").replace(/\\([!-\/:-@\[-`{-~])/g, (_, c) => `\u0000${held.push(c) - 1}\u0000`))
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*])\*([^*\s][^*]*?)\*/g, "$1<em>$2</em>")
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2" rel="noopener noreferrer">$1</a>')
    .replace(/\u0000(\d+)\u0000/g, (_, i) => esc(held[Number(i)]));
}

function markdown(text) {
  const out = [];
  let para = [], items = null;
  const flushPara = () => { if (para.length) out.push(`<p>${inline(para.join(" "))}</p>`); para = []; };
  const flushList = () => { if (items) out.push(`<ul>${items.map((i) => `<li>${inline(i)}</li>`).join("")}</ul>`); items = null; };
  for (const raw of String(text ?? "").split("\n")) {
    const line = raw.trimEnd();
    const bullet = line.match(/^\s*[-*]\s+(.*)$/);
    if (bullet) { flushPara(); (items ??= []).push(bullet[1]); }
    else if (!line.trim()) { flushPara(); flushList(); }
    else if (items && /^\s+/.test(line)) { items[items.length - 1] += " " + line.trim(); }
    else { flushList(); para.push(line.trim()); }
  }
  flushPara(); flushList();
  return out.join("");
}

function setStatus(message, isError = false) {
  const status = $("status");
  status.textContent = message;
  status.classList.toggle("error", isError);
}

const link = (url, text) => url ? `<a href="${esc(url)}" rel="noopener noreferrer">${esc(text)}</a>` : esc(text);

/** The rule's advice (the detail without its generated "why" part) and the "also relevant" facts. */
function splitDetail(detail) {
  const [advice, generated = ""] = String(detail ?? "").split(/\n\*\*Why this fired\*\*\n/);
  const also = generated.split(/\n\*\*Also relevant\*\*\n/)[1] || "";
  return { advice, also };
}

function renderCard(f) {
  const { advice, also } = splitDetail(f.detail);
  const why = (f.because || []).map((b) => `<li>${esc(b.text)}${b.data && b.data.length
    ? ` <span class="data">— ${esc(b.data.join("; "))}</span>` : ""}</li>`).join("");
  const suggestions = (f.suggestions || []).map((s) => `<li>${esc(s.label)}</li>`).join("");
  const links = (f.links || []).map((l) => `<li>${link(l.url, l.label)}</li>`).join("");
  const reasons = (f.override_reasons || []).map((r) => `<li>${esc(r.display)}</li>`).join("");
  const sources = (f.citations || []).map((c) => `<li>${link(c.url, c.citation)}</li>`).join("");
  return `<article class="card ${esc(f.indicator)}" data-topic="${esc(f.topic)}" aria-label="${esc(f.indicator)}: ${esc(f.summary)}">
    <h4><span class="badge ${esc(f.indicator)}">${esc(f.indicator)}</span>${esc(f.summary)}</h4>
    <p class="meta">${esc(f.title)} · rule <a href="#rule-${esc(f.rule_id)}">${esc(f.rule_id)}</a> ${esc(f.rule_version)}</p>
    <div class="advice">${markdown(advice)}</div>
    ${suggestions ? `<div class="part"><h5>Suggested action</h5><ul>${suggestions}</ul></div>` : ""}
    <div class="part why"><h5>Why it fired</h5><ul>${why}</ul>${also ? `<h5>Also relevant</h5>${markdown(also)}` : ""}</div>
    ${links ? `<div class="part"><h5>Links</h5><ul>${links}</ul></div>` : ""}
    ${reasons ? `<div class="part"><h5>Reasons to override</h5><ul>${reasons}</ul></div>` : ""}
    <div class="part evidence"><h5>Evidence: ${esc(f.evidence)}</h5><p>${esc(f.evidence_note)}</p>
      <ul class="sources">${sources}</ul></div>
  </article>`;
}

function factValue(fact, value) {
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return `${Math.round(value * 100) / 100}${fact.unit ? ` ${fact.unit}` : ""}`;
  return String(value);
}

/** "What clinrules understood": the derived facts in words; what holds first, then the rest. A fact that is
 * "no" may be a recorded negative (a "not pregnant" status, an assessment) or nothing recorded: the facts do
 * not tell the two apart, so the rest is never called missing. */
function renderFacts(facts, labels) {
  const known = [], rest = [];
  for (const fact of labels) {
    const value = facts[fact.name];
    if (value === null || value === undefined || value === "unknown") rest.push(`${fact.label}: not known`);
    else if (value === false) rest.push(`${fact.label}: no`);
    else known.push(`<div class="fact" data-fact="${esc(fact.name)}"><dt>${esc(fact.label)}</dt><dd>${esc(factValue(fact, value))}</dd></div>`);
  }
  return `<dl class="facts">${known.join("") || "<p>Nothing the rules use.</p>"}</dl>
    <details class="absent"><summary>No, or not known (${rest.length})</summary>
    <ul>${rest.map((a) => `<li>${esc(a)}</li>`).join("")}</ul></details>`;
}
