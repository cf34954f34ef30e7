"""FHIR intake (engine.fhir): medications."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.fhir import scenario_from_bundle
from engine.scenario import MedicationStatus
from tests.unit.fhir.builders import RXNORM, Resource, bundle, fixture, med_request, patient, read


def test_a_medication_reference_to_a_medication_in_the_request_is_resolved() -> None:
    order = med_request("thal", status="draft", medicationReference={"reference": "Medication/m1"})
    medication = {"resourceType": "Medication", "id": "m1", "code": {"text": "Thalomid 50 mg capsule"}}
    [m] = read(order, medication).scenario.medications
    assert m.classes == ["thalidomide-class"]


@pytest.mark.parametrize(
    ("resource", "classes"),
    [
        (med_request("m", "Efavirenz 600 MG Oral Tablet", rxnorm=("1876364", None)), ["art"]),
        (med_request("m", rxnorm=("195085", None)), ["art"]),  # ingredient code, no name at all
        (med_request("m", "Sustiva", rxnorm=("1876364", "efavirenz 600 MG Oral Tablet [Sustiva]")), ["art"]),
        (med_request("m", "PredniSONE 20 mg tablet"), ["corticosteroid"]),
        (
            med_request("m", "Revlimid", rxnorm=("1", "lenalidomide 10 MG Oral Capsule [Revlimid]")),
            ["thalidomide-class"],
        ),
        (med_request("m", "Rifampin 300 MG / isoniazid 150 MG"), ["tb-treatment", "tb-treatment-core"]),
    ],
)
def test_medication_classes_from_names_and_codes(resource: Resource, classes: list[str]) -> None:
    [m] = read(resource).scenario.medications
    assert m.classes == classes


def test_medication_ingredient_and_code() -> None:
    [m] = read(
        med_request("m", "Stocrin", rxnorm=("1876364", "efavirenz 600 MG Oral Tablet [Stocrin]"))
    ).scenario.medications
    assert m.ingredient == "Stocrin; efavirenz 600 MG Oral Tablet [Stocrin]"  # a brand the lists do not hold
    assert m.code == "1876364"
    [same] = read(
        med_request("m", "Efavirenz 600mg tab", rxnorm=("1876364", "Efavirenz 600 MG Oral Tablet"))
    ).scenario.medications
    assert same.ingredient == "Efavirenz 600mg tab"  # the display adds nothing the text does not say


def test_medication_reference_display_and_contained_medication() -> None:
    by_display = {
        **med_request("a"),
        "medicationReference": {"reference": "Medication/x", "display": "dolutegravir"},
    }
    contained = {
        **med_request("b"),
        "contained": [
            {
                "resourceType": "Medication",
                "id": "med",
                "code": {"coding": [{"system": RXNORM, "code": "8640", "display": "prednisone"}]},
            }
        ],
        "medicationReference": {"reference": "#med"},
    }
    first, second = read(by_display, contained).scenario.medications
    assert (first.ingredient, first.classes) == ("dolutegravir", ["art"])
    assert (second.ingredient, second.code, second.classes) == ("prednisone", "8640", ["corticosteroid"])


def test_a_medication_reference_not_in_the_request_is_reported() -> None:
    result = read({**med_request("m"), "medicationReference": {"reference": "Medication/x"}})
    assert result.scenario.medications == []
    assert result.notes == [
        "MedicationRequest/m: medication Medication/x is not in the request, so its drug could not be "
        "identified; left out, so an alert may be missing"
    ]
    assert result.unresolved_references == ["Medication/x"]


def test_a_medication_without_name_or_code_in_the_record_is_reported() -> None:
    result = read(med_request("m"))
    assert result.scenario.medications == []
    assert result.notes == ["MedicationRequest/m: no medication name or code; left out"]


def test_medication_request_dates() -> None:
    authored = med_request("a", "efavirenz", authoredOn="2026-04-01T09:00:00Z")
    validity = med_request(
        "b",
        "efavirenz",
        authoredOn="2026-03-30",
        dispenseRequest={"validityPeriod": {"start": "2026-04-02", "end": "2026-07-01"}},
    )
    a, b = read(authored, validity).scenario.medications
    assert (a.start, a.end) == (datetime(2026, 4, 1, 9, tzinfo=UTC), None)
    assert (b.start, b.end) == (datetime(2026, 3, 30, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))


def test_medication_statement_dates_and_status() -> None:
    base: Resource = {
        "resourceType": "MedicationStatement",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "prednisone 40 mg"},
    }
    period = {
        **base,
        "id": "a",
        "status": "completed",
        "effectivePeriod": {"start": "2026-01-01", "end": "2026-02-01"},
    }
    moment = {**base, "id": "b", "status": "not-taken", "effectiveDateTime": "2026-03-01"}
    a, b = read(period, moment).scenario.medications
    assert (a.status, a.start, a.end) == (
        MedicationStatus.completed,
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 2, 1, tzinfo=UTC),
    )
    assert (b.status, b.start, b.end) == (MedicationStatus.not_taken, datetime(2026, 3, 1, tzinfo=UTC), None)


@pytest.mark.parametrize("status", ["active", "on-hold", "cancelled", "completed", "stopped", "unknown"])
def test_medication_request_status_is_mapped(status: str) -> None:
    [m] = read(med_request("m", "efavirenz", status=status)).scenario.medications
    assert m.status.value == status and not m.draft


def test_a_medication_ending_before_it_starts_is_kept_without_its_end() -> None:
    order = med_request(
        "m", "efavirenz", dispenseRequest={"validityPeriod": {"start": "2026-04-02", "end": "2026-04-01"}}
    )
    statement: Resource = {
        "resourceType": "MedicationStatement",
        "id": "s",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "thalidomide"},
        "effectivePeriod": {"start": "2026-05-10T10:00:00Z", "end": "2026-05-10T09:00:00Z"},
    }
    result = read(order, statement)
    m, s = result.scenario.medications
    assert (m.ingredient, m.start, m.end) == ("efavirenz", datetime(2026, 4, 2, tzinfo=UTC), None)
    assert (s.ingredient, s.start, s.end) == ("thalidomide", datetime(2026, 5, 10, 10, tzinfo=UTC), None)
    assert result.notes == [
        "MedicationRequest/m: dispenseRequest.validityPeriod.end '2026-04-01' ends before it starts "
        "('2026-04-02'); the end is not used",
        "MedicationStatement/s: effectivePeriod.end '2026-05-10T09:00:00+00:00' ends before it starts "
        "('2026-05-10T10:00:00+00:00'); the end is not used",
    ]


def test_an_end_before_the_authored_date_is_not_used() -> None:
    order = med_request(
        "m",
        "thalidomide",
        status="draft",
        authoredOn="2026-06-10",
        dispenseRequest={"validityPeriod": {"start": "2026-06-10", "end": "2026-05-10"}},
    )
    result = read(order)
    [m] = result.scenario.medications
    assert (m.start, m.end, m.classes) == (datetime(2026, 6, 10, tzinfo=UTC), None, ["thalidomide-class"])
    assert result.notes == [
        "MedicationRequest/m: dispenseRequest.validityPeriod.end '2026-05-10' ends before it starts "
        "('2026-06-10'); the end is not used"
    ]


@pytest.mark.parametrize(
    ("end", "last"),
    [
        ("2026-05", datetime(2026, 5, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2024-02", datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)),
        ("2025", datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_a_partial_end_is_the_last_moment_of_its_month_or_year(end: str, last: datetime) -> None:
    statement: Resource = {
        "resourceType": "MedicationStatement",
        "id": "s",
        "status": "stopped",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "thalidomide"},
        "effectivePeriod": {"start": "2024-01", "end": end},
    }
    order = med_request(
        "m", "efavirenz", dispenseRequest={"validityPeriod": {"start": "2024-01", "end": end}}
    )
    result = read(statement, order)
    s, m = result.scenario.medications
    assert (s.start, s.end) == (datetime(2024, 1, 1, tzinfo=UTC), last)  # a partial start keeps its first day
    assert (m.start, m.end) == (datetime(2024, 1, 1, tzinfo=UTC), last)
    taken = f"'{end}' is a partial date; taken as the end of {last.date().isoformat()}"
    assert result.notes == [
        "MedicationStatement/s: start '2024-01' is a partial date; taken as 2024-01-01",
        f"MedicationStatement/s: end {taken}",
        "MedicationRequest/m: start '2024-01' is a partial date; taken as 2024-01-01",
        f"MedicationRequest/m: end {taken}",
    ]


def _bounded(*periods: dict[str, object]) -> list[dict[str, object]]:
    return [{"timing": {"repeat": {"boundsPeriod": p}}} for p in periods]


def test_an_order_dated_only_by_its_dosage_bounds() -> None:
    order = med_request(
        "m",
        "thalidomide",
        status="stopped",
        dosageInstruction=[
            {"text": "no timing"},
            *_bounded(
                {"start": "2026-03-10", "end": "2026-06-01"}, {"start": "2026-03-01", "end": "2026-05"}
            ),
        ],
    )
    statement: Resource = {
        "resourceType": "MedicationStatement",
        "id": "s",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "dolutegravir"},
        "dosage": _bounded({"start": "2026-02-01T08:00:00Z"}),
    }
    result = read(order, statement)
    m, s = result.scenario.medications
    assert (m.start, m.end) == (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    assert (s.start, s.end) == (datetime(2026, 2, 1, 8, tzinfo=UTC), None)
    assert result.notes == []


def test_dosage_bounds_open_at_one_end_leave_the_end_unknown() -> None:
    order = med_request(
        "m",
        "thalidomide",
        status="active",
        dosageInstruction=_bounded({"start": "2026-03-01", "end": "2026-04-01"}, {"start": "2026-04-01"}),
    )
    [m] = read(order).scenario.medications
    assert (m.start, m.end) == (datetime(2026, 3, 1, tzinfo=UTC), None)


def test_dosage_bounds_do_not_override_other_dates() -> None:
    order = med_request(
        "m",
        "thalidomide",
        authoredOn="2026-01-05",
        dosageInstruction=_bounded({"start": "2026-03-01", "end": "2026-06-01"}),
    )
    [m] = read(order).scenario.medications
    assert (m.start, m.end) == (datetime(2026, 1, 5, tzinfo=UTC), None)


def test_dosage_bounds_ending_before_they_start_and_a_malformed_bound() -> None:
    backwards = med_request(
        "m", "thalidomide", dosageInstruction=_bounded({"start": "2026-03-01", "end": "2026-02-01"})
    )
    malformed = med_request("n", "thalidomide", dosageInstruction=_bounded({"start": 20260301}))
    result = read(backwards, malformed)
    m, n = result.scenario.medications
    assert (m.start, m.end) == (datetime(2026, 3, 1, tzinfo=UTC), None)
    assert (n.ingredient, n.start, n.end) == ("thalidomide", None, None)  # kept, undated
    assert result.problems == []
    assert result.notes == [
        "MedicationRequest/m: dosageInstruction.timing.repeat.boundsPeriod.end '2026-02-01' ends before it "
        "starts ('2026-03-01'); the end is not used",
        "MedicationRequest/n.dosageInstruction.0.timing.repeat.boundsPeriod.start: a date or time must be a "
        "string; not used",
    ]


@pytest.mark.parametrize(("status", "intent"), [("draft", "order"), ("draft", "proposal"), ("draft", "plan")])
def test_draft_status_in_prefetch_is_a_draft(status: str, intent: str) -> None:
    [m] = read(med_request("m", "dolutegravir", status=status, intent=intent)).scenario.medications
    assert m.draft and m.is_draft


def test_every_medication_request_in_draft_orders_is_a_draft() -> None:
    drafts = (
        med_request("d1", "dolutegravir 50 MG", status="active"),
        bundle(med_request("d2", "prednisone 40 MG", status="draft")),
        {"resourceType": "ServiceRequest", "id": "lab", "status": "draft", "intent": "order"},
        patient("other"),  # not an order: ignored
    )
    result = read(drafts=drafts)
    assert [(m.ingredient, m.draft) for m in result.scenario.medications] == [
        ("dolutegravir 50 MG", True),
        ("prednisone 40 MG", True),
    ]
    assert result.patient_id is None and result.notes == []


def test_a_draft_order_wins_over_its_prefetch_copy() -> None:
    order = med_request("d1", "dolutegravir 50 MG", status="draft")
    stale = med_request("d1", "dolutegravir 50 MG", status="active")
    [m] = read(stale, drafts=(order,)).scenario.medications
    assert m.draft and m.status is MedicationStatus.draft


# ---- references, codes, and orders still being written ----------------------------------------------------


def test_contained_and_referenced_medications_are_resolved() -> None:
    result = scenario_from_bundle(fixture("contained-and-referenced-medications.json"))
    meds = {m.ingredient: m for m in result.scenario.medications}
    contained = meds["dolutegravir 50 MG Oral Tablet"]  # contained, referenced as #med1
    assert contained.classes == ["art"] and contained.code == "1433868"
    absolute = meds["prednisone"]  # referenced by absolute URL to a Medication elsewhere in the Bundle
    assert absolute.classes == ["corticosteroid"]
    # A Medication coded by ATC only (referenced by urn:uuid): read with a readable label once ATC is known,
    # else counted under its system; never silently dropped.
    atc = meds.get("ATC L04AX02")
    if atc is None:
        assert any("http://www.whocc.no/atc (1)" in n for n in result.notes)
    else:
        assert atc.codings[0].code == "L04AX02"
    assert result.problems == []


def test_every_coding_of_a_medication_is_passed_on() -> None:
    order = med_request("m", "Tivicay", rxnorm=("1433868", "dolutegravir 50 MG Oral Tablet"))
    order["medicationCodeableConcept"]["coding"].append(
        {"system": "http://www.whocc.no/atc", "code": "J05AJ03"}
    )
    [med] = read(order).scenario.medications
    assert [(c.system, c.code) for c in med.codings] == [
        (RXNORM, "1433868"),
        ("http://www.whocc.no/atc", "J05AJ03"),
    ]
    assert med.ingredient == "Tivicay"  # an HIV-only brand the list holds: the display adds nothing


def test_a_draft_order_with_no_medication_yet_matches_nothing_and_blocks_nothing() -> None:
    # order-select before a drug is picked: the sandbox sends only id, status, subject and authoredOn.
    empty = {
        "resourceType": "MedicationRequest",
        "id": "request-123",
        "status": "draft",
        "authoredOn": "2026-05-01",
    }
    thal = med_request("thal", "thalidomide 50 mg", status="draft")
    result = read(drafts=(empty, thal))
    assert [m.ingredient for m in result.scenario.medications] == ["thalidomide 50 mg"]
    assert result.problems == [] and result.notes == []


def test_a_medication_coded_only_in_a_local_system_is_counted_by_system() -> None:
    local = med_request("m")
    local["medicationCodeableConcept"] = {
        "coding": [{"system": "http://example.org/formulary", "code": "F-77"}]
    }
    result = read(local)
    assert result.scenario.medications == []
    assert result.notes == [
        "medications coded only in code systems the knowledge base does not read, so not checked by any "
        "rule: http://example.org/formulary (1)"
    ]


def test_a_medication_several_orders_point_at_is_read_once() -> None:
    bad = {"resourceType": "Medication", "id": "x", "code": {"coding": "not a list"}}
    first = {**med_request("a"), "medicationReference": {"reference": "Medication/x"}}
    second = {**med_request("b"), "medicationReference": {"reference": "Medication/x"}}
    result = read(bad, first, second)
    assert [p.field for p in result.problems] == ["Medication/x.code.coding"]  # one problem, not two


@pytest.mark.parametrize(
    ("duration", "days"),
    [
        ({"value": 30, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}, 30),
        ({"value": 4, "unit": "weeks", "system": "http://unitsofmeasure.org", "code": "wk"}, 28),
        ({"value": 3, "unit": "mo"}, 90),
        ({"value": 90, "unit": "tablets"}, None),
    ],
)
def test_expected_supply_duration_becomes_days_supply(duration: Resource, days: int | None) -> None:
    order = med_request(
        "a", "efavirenz", authoredOn="2026-04-01", dispenseRequest={"expectedSupplyDuration": duration}
    )
    result = read(order)
    assert result.scenario.medications[0].days_supply == days
    assert any("expectedSupplyDuration" in n for n in result.notes) is (days is None)
