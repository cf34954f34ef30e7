// The patient form of the playground: every change rewrites the scenario JSON beside it (the form is the
// source; the JSON may then be edited by hand). Dates are whole days; times are noon UTC.
"use strict";

// Common diagnoses, named in our words, with an ICD-10-CM code the rules' value sets recognise.
const CONDITIONS = [
  ["Pulmonary tuberculosis", "A15.0"], ["Tuberculous meningitis", "A17.0"],
  ["Cryptococcal meningitis", "B45.1"], ["Kaposi sarcoma", "C46.9"], ["Chronic hepatitis B", "B18.1"],
  ["Immune reconstitution inflammatory syndrome (IRIS)", "D89.3"], ["Polyneuropathy", "G62.9"],
  ["History of venous thrombosis", "Z86.718"], ["Chronic kidney disease, stage 5", "N18.5"],
  ["Complex regional pain syndrome", "G90.50"], ["Chronic pain syndrome", "G89.4"], ["POEMS syndrome", ""],
];
const MED_STATUS = [["draft", "being ordered now"], ["active", "taking"], ["stopped", "stopped"]];
const COND_STATUS = [["active", "active"], ["recurrence", "recurred"], ["relapse", "relapsed"], ["resolved", "resolved"]];
// The measurements the form records, each in the unit the service keeps it in (rules/valuesets.yaml). A kind with
// a ``limit`` has a box for a result the laboratory reports beyond its limit ("<20" copies/mL, ">90" mL/min/1.73 m²):
// the value typed is the limit, written with the comparator (the engine counts it as just beyond the limit).
const MEASURES = {
  cd4: { rows: "cd4-rows", unit: "cells/uL", label: "CD4 count (cells/µL)", title: "CD4 count", one: "a CD4 count" },
  "viral-load": { rows: "vl-rows", unit: "copies/mL", label: "Viral load (copies/mL)", title: "Viral load", one: "a viral load",
    limit: { comparator: "<", label: "Below the detection limit" } },
  egfr: { rows: "egfr-rows", unit: "mL/min/1.73m2", label: "eGFR (mL/min/1.73 m²)", title: "eGFR", one: "an eGFR",
    limit: { comparator: ">", label: "Above the reporting limit" } },
};

// The clinician's assessments the form records with a ticked box (as of the evaluation date).
const ASSESSMENT_BOXES = [["f-refractory", "iris-steroid-refractory"], ["f-dependent", "iris-steroid-dependent"],
  ["f-pain", "pain-refractory"]];
// The assessments the form records either way, with a select: "yes" writes true, "no" false, "" nothing.
const ASSESSMENT_SELECTS = [["f-potential", "reproductive-potential"], ["f-transplant", "transplant-ineligible"]];

let rowCount = 0;
let filling = false;  // true while form-read.js fills the form: rows added then do not take the focus

function field(label, html) {
  const id = `r${++rowCount}`;
  return [`<div><label for="${id}">${label}</label>${html.replace("ID", id)}</div>`, id];
}

function options(pairs) { return pairs.map(([v, t]) => `<option value="${v}">${t}</option>`).join(""); }

function addRow(container, parts, title) {
  const row = document.createElement("div");
  row.className = "row-item";
  row.setAttribute("role", "group");
  row.setAttribute("aria-label", title);
  row.innerHTML = parts.map(([html]) => html).join("") +
    `<button type="button" class="remove" aria-label="Remove this ${title.toLowerCase()}">Remove</button>`;
  row.querySelector(".remove").addEventListener("click", () => {
    row.remove(); writeScenario(); container.nextElementSibling.focus();  // the rows' "Add" button
  });
  container.appendChild(row);
  if (!filling) row.querySelector("input, select").focus();
  return row;
}

/** A row for one measurement of ``kind`` (a key of MEASURES); ``atLimit``: reported beyond the kind's ``limit``
 * (a viral load below the detection limit, an eGFR above the reporting limit). */
function addMeasure(kind, value = "", date = "", atLimit = false) {
  const m = MEASURES[kind];
  const parts = [
    field(m.label, `<input id="ID" data-k="value" type="number" min="0" step="any" inputmode="decimal" value="${esc(value)}">`),
    field("Measured on", `<input id="ID" data-k="date" type="date" value="${esc(date)}">`),
  ];
  if (m.limit) {
    const id = `r${++rowCount}`;
    parts.push([`<div class="check"><input id="${id}" data-k="limit" type="checkbox"${atLimit ? " checked" : ""}>` +
      `<label for="${id}">${m.limit.label} (the value is the limit)</label></div>`, id]);
  }
  addRow($(m.rows), parts, m.title);
}

function addMed(name = "", status = "draft", start = "", end = "") {
  const row = addRow($("med-rows"), [
    field("Medication (ingredient)", `<input id="ID" data-k="name" list="ingredients" autocomplete="off" value="${esc(name)}">`),
    field("Status", `<select id="ID" data-k="status">${options(MED_STATUS)}</select>`),
    field("Started on", `<input id="ID" data-k="start" type="date" value="${esc(start)}">`),
    field("Stopped on", `<input id="ID" data-k="end" type="date" value="${esc(end)}">`),
  ], "Medication");
  row.querySelector('[data-k="status"]').value = status;
}

function addCondition(name = "", code = "", status = "active", onset = "") {
  const row = addRow($("condition-rows"), [
    field("Condition", `<input id="ID" data-k="name" list="condition-names" autocomplete="off" value="${esc(name)}">`),
    field("ICD-10-CM code", `<input id="ID" data-k="code" autocomplete="off" size="8" value="${esc(code)}">`),
    field("Status", `<select id="ID" data-k="status">${options(COND_STATUS)}</select>`),
    field("Since", `<input id="ID" data-k="onset" type="date" value="${esc(onset)}">`),
  ], "Condition");
  row.querySelector('[data-k="status"]').value = status;
  const nameInput = row.querySelector('[data-k="name"]');
  nameInput.addEventListener("change", () => {
    const known = CONDITIONS.find(([n]) => n.toLowerCase() === nameInput.value.trim().toLowerCase());
    if (known) { row.querySelector('[data-k="code"]').value = known[1]; writeScenario(); }
  });
}

function rows(id) {
  return [...$(id).children].map((row) => Object.fromEntries(
    [...row.querySelectorAll("[data-k]")].map((el) => [el.dataset.k, el.type === "checkbox" ? el.checked : el.value.trim()])));
}

function birthDate(age, today) {
  // Half a year before the birthday that makes the patient `age` on `today`: the age is unambiguous.
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() - age);
  d.setUTCMonth(d.getUTCMonth() - 6);
  return d.toISOString().slice(0, 10);
}

/** Whole years from ``birth`` to ``today`` (both YYYY-MM-DD), or "" before birth. */
function ageOn(birth, today) {
  const [by, bm, bd] = birth.split("-").map(Number), [ty, tm, td] = today.split("-").map(Number);
  const age = ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
  return age >= 0 ? String(age) : "";
}

/** The scenario JSON the form describes. */
function formScenario() {
  const today = $("f-today").value || new Date().toISOString().slice(0, 10);
  const patient = {};
  const age = $("f-age").value.trim();
  if ($("f-birth").value) patient.birth_date = $("f-birth").value;
  else if (age !== "") patient.birth_date = birthDate(Number(age), today);
  if ($("f-sex").value) patient.sex = $("f-sex").value;
  const observations = [], conditions = [], medications = [];
  if ($("f-pregnancy").value) {
    observations.push({ kind: "pregnancy-status", time: $("f-pregnancy-date").value || today, value: $("f-pregnancy").value });
  }
  for (const [id, kind] of ASSESSMENT_SELECTS) {
    if ($(id).value) observations.push({ kind, time: today, value: $(id).value === "yes" });
  }
  for (const [id, kind] of ASSESSMENT_BOXES) {
    if ($(id).checked) observations.push({ kind, time: today, value: true });
  }
  for (const [kind, m] of Object.entries(MEASURES)) {
    for (const r of rows(m.rows)) {
      if (r.value === "") continue;
      const o = { kind, time: r.date || today, value: Number(r.value), unit: m.unit };
      if (r.limit) o.comparator = m.limit.comparator;
      observations.push(o);
    }
  }
  if ($("f-hiv").checked) {
    conditions.push({ code: "B20", ...($("f-hiv-date").value ? { onset: $("f-hiv-date").value } : {}) });
  }
  for (const r of rows("condition-rows")) {
    if (!r.name && !r.code) continue;
    const c = { status: r.status };
    if (r.code) c.code = r.code;
    if (r.name) c.text = r.name;
    if (r.onset) c.onset = r.onset;
    conditions.push(c);
  }
  for (const r of rows("med-rows")) {
    if (!r.name) continue;
    const m = { ingredient: r.name, status: r.status };
    if (r.status === "draft") m.draft = true;
    if (r.start) m.start = r.start;
    if (r.end) m.end = r.end;
    medications.push(m);
  }
  return { patient, evaluation_time: `${today}T12:00:00Z`, conditions, observations, medications };
}

let written = "";  // what the form last wrote: JSON edited since then (by hand, an example) is not overwritten

/** Write the form's scenario into the JSON box, unless the JSON was changed elsewhere (``force``: anyway). */
function writeScenario(force = false) {
  const box = $("scenario");
  if (!force && box.value.trim() !== "" && box.value !== written) {
    $("form-to-json").hidden = false;
    setStatus("The JSON was changed outside the form, so the form no longer writes it: press “Write the form to the JSON” to replace it.");
    return;
  }
  written = box.value = JSON.stringify(formScenario(), null, 2);
  $("at").value = "";
  $("form-to-json").hidden = true;
}

/** The JSON box as it is now was read into the form: the form writes it again from the next change. */
function formOwnsJson() {
  written = $("scenario").value;
  $("form-to-json").hidden = true;
}

async function setUpForm() {
  $("f-today").value = new Date().toISOString().slice(0, 10);
  $("condition-names").innerHTML = CONDITIONS.map(([n]) => `<option value="${esc(n)}"></option>`).join("");
  const opts = await (await fetch("/ui/api/form-options")).json();
  $("ingredients").innerHTML = opts.ingredients.map((n) => `<option value="${esc(n)}"></option>`).join("");
  $("add-cd4").addEventListener("click", () => { addMeasure("cd4"); writeScenario(); });
  $("add-vl").addEventListener("click", () => { addMeasure("viral-load"); writeScenario(); });
  $("add-egfr").addEventListener("click", () => { addMeasure("egfr"); writeScenario(); });
  // A typed age replaces a date of birth; a date of birth (or a new evaluation date) shows the age it gives.
  $("f-age").addEventListener("input", () => { $("f-birth").value = ""; });
  const showAge = () => { if ($("f-birth").value) $("f-age").value = ageOn($("f-birth").value, $("f-today").value || $("f-birth").value); };
  $("f-birth").addEventListener("input", showAge);
  $("f-today").addEventListener("input", showAge);
  $("json-to-form").addEventListener("click", () => readIntoForm());
  $("add-med").addEventListener("click", () => { addMed(); writeScenario(); });
  $("add-condition").addEventListener("click", () => { addCondition(); writeScenario(); });
  $("form-to-json").addEventListener("click", () => { writeScenario(true); setStatus("The form's patient is in the JSON."); });
  const form = $("patient-form");
  form.addEventListener("input", () => writeScenario());
  form.addEventListener("change", () => writeScenario());
  form.addEventListener("submit", (e) => { e.preventDefault(); evaluate(); });
}
