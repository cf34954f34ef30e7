// "Read the JSON into the form" (and the example buttons): fill the playground's form from the scenario JSON.
// The form is filled only when it can show everything the JSON holds, so that writing the form again gives
// back an equivalent scenario; otherwise the form is left exactly as it was, the JSON stays the source, and
// the status region names each member the form cannot show.
"use strict";

const DAY_MS = 86400000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
// Every member of the scenario model (engine/scenario.py): one the form lacks a field for may still be given
// as null (or an empty list), which says nothing.
const MODEL_MEMBERS = new Set(["id", "birth_date", "sex", "kind", "time", "value", "unit", "comparator", "code",
  "system", "codings", "text", "status", "onset", "recorded", "ingredient", "start", "end", "days_supply", "draft"]);

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isoDay = (t) => new Date(t).toISOString().slice(0, 10);

/** A JSON time in milliseconds (without a zone it is UTC, as the service reads it), or NaN. */
function instant(value) {
  if (typeof value !== "string") return NaN;
  if (DAY.test(value)) {
    const t = Date.parse(`${value}T00:00:00Z`);
    return Number.isFinite(t) && isoDay(t) === value ? t : NaN;  // 2026-02-30 is not a day
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return NaN;
  return Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`);
}

/** What the form would hold for ``scenario``: ``plan`` (the fields' values), ``cannot`` (each member the form
 * cannot show, named with why) and ``notes`` (what the form normalises, said to the user). */
function planForm(scenario) {
  const cannot = [], notes = [];
  const no = (path, why) => { cannot.push(`${path} (${why})`); };
  const extra = (obj, path, allowed) => {
    for (const [k, v] of Object.entries(obj)) {
      const empty = v === null || (Array.isArray(v) && v.length === 0);
      if (!allowed.includes(k) && !(empty && MODEL_MEMBERS.has(k))) no(path ? `${path}.${k}` : k, "the form has no field for it");
    }
  };
  const dayOf = (value, path) => {  // a whole day (midnight UTC) as YYYY-MM-DD, else said and ""
    const t = instant(value);
    if (Number.isFinite(t) && t % DAY_MS === 0) return isoDay(t);
    no(path, Number.isFinite(t) ? "a time of day: the form keeps whole days" : "not a date the form can read");
    return "";
  };
  const text = (value, path) => {  // an optional text member, trimmed as the service trims it
    if (value === undefined || value === null) return "";
    if (typeof value === "string") return value.trim();
    no(path, "not text");
    return "";
  };
  const list = (key) => {
    const v = scenario[key] ?? [];
    if (Array.isArray(v)) return v;
    no(key, "not a list");
    return [];
  };
  if (!isObject(scenario)) return { cannot: ["the JSON as a whole (not a scenario object)"], notes };

  const plan = { today: "", birth: "", sex: "", pregnancy: "", pregnancyDate: "", selects: {}, boxes: new Set(),
    hiv: null, measures: Object.fromEntries(Object.keys(MEASURES).map((k) => [k, []])), conditions: [], meds: [] };
  extra(scenario, "", ["patient", "evaluation_time", "conditions", "observations", "medications"]);
  const at = scenario.evaluation_time;
  if (at === undefined || at === null) {
    plan.today = new Date().toISOString().slice(0, 10);
    notes.push("the JSON gives no evaluation time, so the form evaluates as of today");
  } else if (!Number.isFinite(instant(at))) {
    no("evaluation_time", "not a time the form can read");
  } else {
    const t = instant(at);
    plan.today = isoDay(t);
    if (((t % DAY_MS) + DAY_MS) % DAY_MS !== DAY_MS / 2) notes.push(`the form evaluates at noon UTC on ${plan.today}, where the JSON said ${at}`);
  }

  const patient = scenario.patient ?? {};
  if (!isObject(patient)) no("patient", "not an object");
  else {
    extra(patient, "patient", ["birth_date", "sex"]);
    if (patient.birth_date !== undefined && patient.birth_date !== null) {
      if (typeof patient.birth_date === "string" && DAY.test(patient.birth_date) && Number.isFinite(instant(patient.birth_date))) plan.birth = patient.birth_date;
      else no("patient.birth_date", "not a date YYYY-MM-DD");
    }
    const sex = patient.sex ?? "unknown";
    if (["female", "male", "other"].includes(sex)) plan.sex = sex;
    else if (sex !== "unknown") no("patient.sex", `${sex}: not one the form lists`);
  }

  list("observations").forEach((o, i) => {
    const path = `observations[${i}]`;
    if (!isObject(o)) return no(path, "not an object");
    const kind = o.kind, m = MEASURES[kind], box = ASSESSMENT_BOXES.find(([, k]) => k === kind);
    const select = ASSESSMENT_SELECTS.find(([, k]) => k === kind);
    if (!m && !box && !select && kind !== "pregnancy-status") return no(path, `kind ${kind ?? "missing"}`);
    extra(o, path, m ? ["kind", "time", "value", "unit", "comparator"] : ["kind", "time", "value"]);
    const day = dayOf(o.time, `${path}.time`);
    if (m) {
      if (typeof o.value !== "number") no(`${path}.value`, "not a number");
      if (o.unit !== undefined && o.unit !== null && o.unit !== m.unit) no(`${path}.unit`, `${o.unit}: the form records ${m.unit}`);
      const atLimit = Boolean(m.limit) && o.comparator === m.limit.comparator;
      if (o.comparator !== undefined && o.comparator !== null && !atLimit) {
        no(`${path}.comparator`, `${o.comparator}: ${m.limit
          ? `the form records only "${m.limit.comparator}", for ${m.one} ${m.limit.label.toLowerCase()}`
          : `the form records ${m.one} without a comparator`}`);
      }
      plan.measures[kind].push([String(o.value), day, atLimit]);
    } else if (kind === "pregnancy-status") {
      if (o.value !== "pregnant" && o.value !== "not-pregnant") no(`${path}.value`, `${o.value}: not a pregnancy status`);
      else if (plan.pregnancy) no(path, "a second pregnancy status: the form keeps one");
      else { plan.pregnancy = o.value; plan.pregnancyDate = day; }
    } else if (plan.boxes.has(kind)) {
      no(path, `a second ${kind}: the form keeps one`);
    } else if (typeof o.value !== "boolean" || (box && !o.value)) {
      no(`${path}.value`, box ? `${o.value}: the form records this assessment only as a ticked box, for true` : "not true or false");
    } else if (day && day !== plan.today) {
      no(`${path}.time`, "the form records assessments as of the evaluation date");
    } else {
      plan.boxes.add(kind);
      if (select) plan.selects[select[0]] = o.value ? "yes" : "no";
    }
  });

  list("conditions").forEach((c, i) => {
    const path = `conditions[${i}]`;
    if (!isObject(c)) return no(path, "not an object");
    extra(c, path, ["code", "system", "text", "status", "onset"]);
    const system = c.system ?? "icd10cm";
    if (system !== "icd10cm") no(`${path}.system`, `${system}: the form takes ICD-10-CM codes`);
    const code = text(c.code, `${path}.code`), name = text(c.text, `${path}.text`);
    if (!code && !name) no(path, "neither a code nor a name");
    const status = c.status ?? "active";
    if (!COND_STATUS.some(([v]) => v === status)) no(`${path}.status`, `${status}: not one the form lists`);
    const onset = c.onset === undefined || c.onset === null ? "" : dayOf(c.onset, `${path}.onset`);
    // The HIV box writes {code: "B20", onset}: a condition just like that is shown by the box.
    if (code === "B20" && !name && status === "active" && !plan.hiv) plan.hiv = { onset };
    else plan.conditions.push([name, code, status, onset]);
  });

  list("medications").forEach((m, i) => {
    const path = `medications[${i}]`;
    if (!isObject(m)) return no(path, "not an object");
    extra(m, path, ["ingredient", "status", "start", "end", "draft"]);
    const ingredient = text(m.ingredient, `${path}.ingredient`);
    if (!ingredient) no(`${path}.ingredient`, "missing");
    const status = m.status ?? "active";
    if (!MED_STATUS.some(([v]) => v === status)) no(`${path}.status`, `${status}: not one the form lists`);
    if (m.draft !== undefined && m.draft !== null && typeof m.draft !== "boolean") no(`${path}.draft`, "not true or false");
    else if (m.draft === true && status !== "draft") {
      no(`${path}.draft`, `being ordered now with the status ${status}: the form says "being ordered now" by the status only`);
    }
    const day = (key) => (m[key] === undefined || m[key] === null ? "" : dayOf(m[key], `${path}.${key}`));
    plan.meds.push([ingredient, status, day("start"), day("end")]);
  });
  return { plan, cannot, notes };
}

/** Put ``plan`` (from planForm) into the form, replacing every field and row. */
function fillForm(plan) {
  filling = true;
  try {
    $("f-today").value = plan.today;
    $("at").value = "";  // as when the form writes: the form's JSON carries its own evaluation time
    $("f-birth").value = plan.birth;
    $("f-age").value = plan.birth ? ageOn(plan.birth, plan.today) : "";
    $("f-sex").value = plan.sex;
    $("f-pregnancy").value = plan.pregnancy;
    $("f-pregnancy-date").value = plan.pregnancyDate;
    for (const [id] of ASSESSMENT_SELECTS) $(id).value = plan.selects[id] ?? "";
    for (const [id, kind] of ASSESSMENT_BOXES) $(id).checked = plan.boxes.has(kind);
    $("f-hiv").checked = Boolean(plan.hiv);
    $("f-hiv-date").value = plan.hiv ? plan.hiv.onset : "";
    for (const m of Object.values(MEASURES)) $(m.rows).replaceChildren();
    $("condition-rows").replaceChildren();
    $("med-rows").replaceChildren();
    for (const [kind, rows] of Object.entries(plan.measures)) rows.forEach((r) => addMeasure(kind, ...r));
    plan.conditions.forEach((c) => addCondition(...c));
    plan.meds.forEach((m) => addMed(...m));
  } finally {
    filling = false;
  }
  formOwnsJson();
}

/** Fill the form from the JSON box, or say in the status region why not (the form and the JSON then untouched).
 * ``lead`` and ``tail`` frame the message (an example just loaded). True when the form was filled. */
function readIntoForm(lead = "", tail = "") {
  const say = (message, isError = false) => setStatus(`${lead}${message}${tail}`, isError);
  let scenario;
  try {
    scenario = JSON.parse($("scenario").value);
  } catch (e) {
    say(`The JSON is not valid (${e.message}), so the form was left as it was.`, true);
    return false;
  }
  if (isObject(scenario) && "resourceType" in scenario) {
    say(`It is a FHIR ${scenario.resourceType}, which the form does not show: the form was left as it was, and Evaluate sends the JSON as it is.`);
    return false;
  }
  const { plan, cannot, notes } = planForm(scenario);
  if (cannot.length) {
    say(`The form cannot show everything in the JSON, so the form was left as it was and Evaluate sends the JSON as it is. Not shown by the form: ${cannot.join("; ")}.`);
    return false;
  }
  fillForm(plan);
  say(`The form now shows the JSON's patient; a change in the form writes the JSON again.${notes.length ? ` Note: ${notes.join("; ")}.` : ""}`);
  return true;
}
