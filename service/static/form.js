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

let rowCount = 0;

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
    const next = row.parentElement.parentElement.querySelector("button.add");
    row.remove(); writeScenario(); next.focus();
  });
  container.appendChild(row);
  row.querySelector("input, select").focus();
  return row;
}

function addCd4(value = "", date = "") {
  addRow($("cd4-rows"), [
    field("CD4 count (cells/µL)", `<input id="ID" data-k="value" type="number" min="0" step="any" inputmode="decimal" value="${esc(value)}">`),
    field("Measured on", `<input id="ID" data-k="date" type="date" value="${esc(date)}">`),
  ], "CD4 count");
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
    [...row.querySelectorAll("[data-k]")].map((el) => [el.dataset.k, el.value.trim()])));
}

function birthDate(age, today) {
  // Half a year before the birthday that makes the patient `age` on `today`: the age is unambiguous.
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() - age);
  d.setUTCMonth(d.getUTCMonth() - 6);
  return d.toISOString().slice(0, 10);
}

/** The scenario JSON the form describes. */
function formScenario() {
  const today = $("f-today").value || new Date().toISOString().slice(0, 10);
  const patient = {};
  const age = $("f-age").value.trim();
  if (age !== "") patient.birth_date = birthDate(Number(age), today);
  if ($("f-sex").value) patient.sex = $("f-sex").value;
  const observations = [], conditions = [], medications = [];
  if ($("f-pregnancy").value) {
    observations.push({ kind: "pregnancy-status", time: $("f-pregnancy-date").value || today, value: $("f-pregnancy").value });
  }
  if ($("f-potential").value) {
    observations.push({ kind: "reproductive-potential", time: today, value: $("f-potential").value === "yes" });
  }
  for (const [id, kind] of [["f-refractory", "iris-steroid-refractory"], ["f-dependent", "iris-steroid-dependent"],
    ["f-transplant", "transplant-ineligible"], ["f-pain", "pain-refractory"]]) {
    if ($(id).checked) observations.push({ kind, time: today, value: true });
  }
  for (const r of rows("cd4-rows")) {
    if (r.value !== "") observations.push({ kind: "cd4", time: r.date || today, value: Number(r.value), unit: "cells/uL" });
  }
  if ($("f-hiv").checked) {
    conditions.push({ code: "B20", text: "HIV disease", ...($("f-hiv-date").value ? { onset: $("f-hiv-date").value } : {}) });
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

async function setUpForm() {
  $("f-today").value = new Date().toISOString().slice(0, 10);
  $("condition-names").innerHTML = CONDITIONS.map(([n]) => `<option value="${esc(n)}"></option>`).join("");
  const opts = await (await fetch("/ui/api/form-options")).json();
  $("ingredients").innerHTML = opts.ingredients.map((n) => `<option value="${esc(n)}"></option>`).join("");
  $("add-cd4").addEventListener("click", () => { addCd4(); writeScenario(); });
  $("add-med").addEventListener("click", () => { addMed(); writeScenario(); });
  $("add-condition").addEventListener("click", () => { addCondition(); writeScenario(); });
  $("form-to-json").addEventListener("click", () => { writeScenario(true); setStatus("The form's patient is in the JSON."); });
  const form = $("patient-form");
  form.addEventListener("input", () => writeScenario());
  form.addEventListener("change", () => writeScenario());
  form.addEventListener("submit", (e) => { e.preventDefault(); evaluate(); });
}
