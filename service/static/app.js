// clinrules page: the playground (POST /evaluate) and the rule catalogue (GET /ui/api/catalogue).
"use strict";

let factLabels = null;
// What each status means to the committee (active rules carry no mark).
const STATUS_WORDS = {
  shadow: "shadow: evaluated and audited, never shown",
  draft: "draft: not evaluated",
  retired: "retired: not evaluated",
};

async function evaluate() {
  const text = $("scenario").value.trim();
  const results = $("results");
  let body;
  try { body = JSON.parse(text); } catch (e) {
    setStatus(`Not valid JSON: ${e.message}`, true); return;
  }
  // The time box is for a FHIR Bundle, which has no evaluation time of its own; the project's JSON keeps its own.
  const fhir = body !== null && typeof body === "object" && typeof body.resourceType === "string";
  const at = fhir ? $("at").value.trim() : "";
  const unused = !fhir && $("at").value.trim() ? " The evaluation time box is for a FHIR Bundle: not used." : "";
  setStatus("Evaluating…");
  let response, data;
  try {
    response = await fetch("/evaluate" + (at ? `?at=${encodeURIComponent(at)}` : ""), {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    data = await response.json();
  } catch (e) { setStatus(`The service did not answer: ${e.message}`, true); return; }
  if (!response.ok) {
    const errors = (data.errors || []).map((x) => `${x.field ?? x.pointer ?? ""}: ${x.message ?? x.detail ?? ""}`);
    results.innerHTML = "";
    $("understood").hidden = true;
    setStatus(`${data.title || "Error"}: ${data.detail || ""} ${errors.join("; ")}`.trim(), true);
    return;
  }
  const findings = data.findings || [];
  const notes = (data.notes || []).map((n) => `<li>${esc(n)}</li>`).join("");
  results.innerHTML = `<h3>Cards</h3>` + (findings.length ? findings.map(renderCard).join("") : "<p>No card: nothing to say for this patient.</p>") +
    (notes ? `<div class="notes"><h4>Data left out</h4><ul>${notes}</ul></div>` : "");
  factLabels ??= await (await fetch("/ui/api/facts")).json();
  $("facts").innerHTML = renderFacts(data.facts || {}, factLabels);
  $("understood").hidden = false;
  const counts = ["critical", "warning", "info"].map((i) => [i, findings.filter((f) => f.indicator === i).length])
    .filter(([, n]) => n).map(([i, n]) => `${n} ${i}`).join(", ");
  setStatus((findings.length ? `${findings.length} card${findings.length > 1 ? "s" : ""}: ${counts}. Evaluated at ${data.evaluated_at}.`
    : `No cards. Evaluated at ${data.evaluated_at}.`) + unused);
}

async function loadExamples() {
  const examples = await (await fetch("/ui/api/examples")).json();
  const box = $("examples");
  for (const ex of examples) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = ex.label;
    button.dataset.example = ex.id;
    button.addEventListener("click", () => {
      $("scenario").value = JSON.stringify(ex.scenario, null, 2);
      $("at").value = ex.at || "";
      $("scenario").focus();
      readIntoForm(`Example loaded: ${ex.label}. `, " Press Ctrl+Enter to evaluate.");
    });
    box.appendChild(button);
  }
}

function ruleText(r) {
  return [r.topic, r.title, r.summary, r.id, ...r.statements.map((s) => s.text)].join(" ").toLowerCase();
}

function renderRule(r) {
  const statements = r.statements.map((s) => `<li><code>${esc(s.id)}</code> (${esc(s.source)}, evidence ${esc(s.evidence)}): ${esc(s.text)}</li>`).join("");
  const citations = r.citations.map((c) => `<li>${c.url ? `<a href="${esc(c.url)}" rel="noopener noreferrer">${esc(c.citation)}</a>` : esc(c.citation)}</li>`).join("");
  const params = r.parameters.length ? `<table><caption class="hint">Thresholds in force</caption><thead><tr><th scope="col">parameter</th><th scope="col">value</th><th scope="col">allowed range</th><th scope="col">meaning</th></tr></thead><tbody>${
    r.parameters.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.value)} ${esc(p.unit || "")}</td><td>${esc(p.min)}–${esc(p.max)}</td><td>${esc(p.description)}</td></tr>`).join("")}</tbody></table>` : "<p class=\"hint\">No thresholds.</p>";
  const scenarios = r.scenarios.map((s) => {
    const steps = [...s.background.map((b) => `(background) ${b}`), ...s.steps].join("\n");
    const examples = s.examples.map((t) => `\n\nExamples:\n| ${t.header.join(" | ")} |\n` + t.rows.map((row) => `| ${row.join(" | ")} |`).join("\n")).join("");
    return `<details class="scenario"><summary>${esc(s.keyword)}: ${esc(s.name)} <span class="meta">(${esc(s.file)}:${esc(s.line)})</span></summary><pre class="gherkin">${esc(steps + examples)}</pre></details>`;
  }).join("");
  const m = r.mutation;
  const mutation = m && m.score !== null ? `<p class="meta" title="One-step changes to this rule that the shipped scenarios notice (clinrules rules mutate; docs/mutation.md)">mutation score <strong>${esc(Math.round(m.score * 1000) / 10)}%</strong>: ${esc(m.killed)} of ${esc(m.killed + m.survived)} changes caught${m.equivalent ? `, ${esc(m.equivalent)} equivalent` : ""}</p>` : "";
  const indicator = r.escalates_to.length ? `${r.indicator}, up to ${r.escalates_to.join(", ")}` : r.indicator;
  return `<details class="rule" id="rule-${esc(r.id)}" data-topic="${esc(r.topic)}"><summary><span class="badge ${esc(r.indicator)}">${esc(r.indicator)}</span><strong>${esc(r.topic)}</strong> — ${esc(r.title)}${r.status !== "active" ? ` <em class="status ${esc(r.status)}">(${esc(STATUS_WORDS[r.status] || r.status)})</em>` : ""}</summary><div>
    <p><strong>Card:</strong> ${esc(r.summary)}</p>
    <p class="meta">rule ${esc(r.id)} ${esc(r.version)} · indicator ${esc(indicator)} · evidence <strong>${esc(r.evidence)}</strong>${r.safety ? " · safety rule" : ""}${r.concludes.length ? ` · concludes ${esc(r.concludes.join(", "))}` : ""}</p>
    <p class="meta">${esc(r.evidence_note)}</p>
    <h4>Statements encoded</h4><ul>${statements}</ul>
    <h4>Citations</h4><ul>${citations}</ul>
    <h4>Thresholds</h4>${params}
    ${mutation}<h4>Specified by ${r.scenarios.length} Gherkin scenario${r.scenarios.length === 1 ? "" : "s"}</h4>${scenarios || "<p class=\"hint\">None.</p>"}
    <h4>Detail</h4>${markdown(r.detail)}
  </div></details>`;
}

async function loadCatalogue() {
  const data = await (await fetch("/ui/api/catalogue")).json();
  $("ruleset-version").textContent = `rule set ${data.ruleset_version}`;
  const box = $("rules");
  box.innerHTML = data.rules.map(renderRule).join("");
  const texts = data.rules.map(ruleText);
  const count = () => {
    const shown = [...box.children].filter((el) => !el.hidden).length;
    $("catalogue-count").textContent = `${shown} of ${data.rules.length} rules shown · ${data.scenario_count} scenarios in features/`;
  };
  $("filter").addEventListener("input", (e) => {
    const q = e.target.value.trim().toLowerCase();
    [...box.children].forEach((el, i) => { el.hidden = Boolean(q) && !texts[i].includes(q); });
    count();
  });
  count();
  renderConcepts(data.concepts || []);
  openLinkedRule();
}

function renderConcepts(concepts) {
  const rows = concepts.map((c) => {
    const systems = c.systems.map((s) => `<span title="${esc(s.uri)}">${esc(s.label)} (${esc(s.codes)})</span>`).join(", ");
    const names = c.names.length ? esc(c.names.join(", ")) : "";
    return `<tr data-concept="${esc(c.concept)}"><td><code>${esc(c.concept)}</code></td><td>${esc(c.kind)}</td><td>${systems || "<em>names only</em>"}</td><td>${names}</td></tr>`;
  }).join("");
  $("concept-table").innerHTML = `<table><thead><tr><th scope="col">concept</th><th scope="col">kind</th><th scope="col">code systems (codes)</th><th scope="col">also recognised by name</th></tr></thead><tbody>${rows}</tbody></table>`;
}

// A card's source link (/ui#rule-<id>) opens that rule in the catalogue.
function openLinkedRule() {
  const target = location.hash.startsWith("#rule-") ? document.getElementById(location.hash.slice(1)) : null;
  if (!target) return;
  if (target.hidden) {  // the catalogue filter hides it: clear the filter, so that the link always opens it
    $("filter").value = "";
    $("filter").dispatchEvent(new Event("input"));
  }
  target.open = true; target.scrollIntoView(); target.querySelector("summary").focus();
}
window.addEventListener("hashchange", openLinkedRule);

document.addEventListener("DOMContentLoaded", () => {
  $("scenario-form").addEventListener("submit", (e) => { e.preventDefault(); evaluate(); });
  $("playground").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); evaluate(); }
  });
  setUpForm().catch((e) => setStatus(`The form could not be set up: ${e.message}`, true));
  loadExamples().catch((e) => setStatus(`Examples could not be loaded: ${e.message}`, true));
  loadCatalogue().catch((e) => { $("catalogue-count").textContent = `The catalogue could not be loaded: ${e.message}`; });
});
