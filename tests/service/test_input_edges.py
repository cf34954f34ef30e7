"""Input at the edges: times whose offset leaves the datetime range, leap seconds, a token without its server,
and a unit that cannot be converted. Each gets a clear answer naming the field, or is left out with a note;
never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.suites.steps.fixtures import load_fixture

# Times that pydantic and fromisoformat read, but whose conversion to UTC overflows the datetime range
# (.NET's DateTimeOffset.MinValue in a zone east of UTC is the common one in real records).
OVERFLOWING = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-01:00", "9999-12-31T23:59:59-14:00"]
SCENARIO: dict[str, Any] = {
    "patient": {"birth_date": "1984-03-02", "sex": "female"},
    "evaluation_time": "2026-06-01T09:00:00Z",
    "conditions": [{"code": "B20", "onset": "2025-11-01"}],
    "observations": [{"kind": "cd4", "time": "2026-05-20", "value": 42, "unit": "cells/uL"}],
    "medications": [{"ingredient": "dolutegravir", "status": "draft", "draft": True}],
}
SUBJECT = {"reference": "Patient/os-thal-1"}
TERATOGENICITY = "thalidomide-teratogenicity"


def _fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


def _with(path: str, value: str) -> dict[str, Any]:
    """SCENARIO with the time at ``path`` (``observations.0.time``) replaced by ``value``."""
    scenario: dict[str, Any] = {
        k: ([dict(i) for i in v] if isinstance(v, list) else v) for k, v in SCENARIO.items()
    }
    *parents, last = path.split(".")
    node: Any = scenario
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value
    return scenario


@pytest.mark.parametrize("value", OVERFLOWING)
@pytest.mark.parametrize(
    "path", ["evaluation_time", "observations.0.time", "medications.0.start", "conditions.0.onset"]
)
def test_evaluate_names_a_time_whose_offset_overflows(client: TestClient, path: str, value: str) -> None:
    assert _fields(client.post("/evaluate", json=_with(path, value))) == [path]


@pytest.mark.parametrize("value", OVERFLOWING)
def test_evaluate_at_parameter_overflowing_is_422(client: TestClient, value: str) -> None:
    assert _fields(client.post("/evaluate", json=SCENARIO, params={"at": value})) == ["query.at"]


def _order_sign(
    conditions: list[dict[str, Any]] | None = None,
    observations: list[dict[str, Any]] | None = None,
    draft: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The thalidomide order-sign request, with these extra prefetch resources and draft elements."""
    request: dict[str, Any] = load_fixture("order-sign-thalidomide-pregnant")
    prefetch = request["prefetch"]
    prefetch["conditions"]["entry"] += [{"resource": c} for c in conditions or []]
    prefetch["observations"]["entry"] += [{"resource": o} for o in observations or []]
    if draft is not None:
        request["context"]["draftOrders"]["entry"][0]["resource"].update(draft)
    return request


def _condition(onset: str) -> dict[str, Any]:
    code = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "B20"}]}
    return {"resourceType": "Condition", "id": "c1", "subject": SUBJECT, "code": code, "onsetDateTime": onset}


def _cd4(when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "subject": SUBJECT,
        "code": {"coding": [{"system": "http://loinc.org", "code": "24467-3"}]},
        "effectiveDateTime": when,
        "valueQuantity": {"value": 50, "unit": "cells/uL"},
    }


def _cards(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {c["source"]["topic"]["code"]: c["detail"] for c in response.json()["cards"]}


@pytest.mark.parametrize("value", [*OVERFLOWING, "0001-01-01"])
def test_cds_fhir_time_out_of_range_is_left_out_and_told(client: TestClient, value: str) -> None:
    # A date that only places a record in time is not used, with a note; the record is kept, undated.
    cards = _cards(client.post("/cds-services/order-sign", json=_order_sign(conditions=[_condition(value)])))
    assert TERATOGENICITY in cards
    assert "Condition/c1: onset '" in cards["data-quality"]
    assert "is not between 1900 and 2199; not used" in cards["data-quality"]
    # A measurement cannot be placed without its time: left out.
    cards = _cards(client.post("/cds-services/order-sign", json=_order_sign(observations=[_cd4(value)])))
    assert TERATOGENICITY in cards
    assert "Observation/o1: cd4 not usable (time:" in cards["data-quality"]


@pytest.mark.parametrize("value", [*OVERFLOWING, "0001-01-01T00:00:00Z"])
def test_a_thalidomide_order_authored_out_of_range_still_raises_its_critical_cards(
    client: TestClient, value: str
) -> None:
    """Regression: the draft order was left out whole, and with it the teratogenicity and pregnancy cards."""
    answer = client.post("/cds-services/order-sign", json=_order_sign(draft={"authoredOn": value}))
    assert answer.status_code == 200, answer.text
    indicators = {c["source"]["topic"]["code"]: c["indicator"] for c in answer.json()["cards"]}
    assert indicators[TERATOGENICITY] == "critical"
    assert indicators["thalidomide-pregnancy"] == "critical"
    assert "MedicationRequest/draft-thal: start '" in _cards(answer)["data-quality"]


def test_a_birth_date_out_of_range_keeps_the_patient(client: TestClient) -> None:
    """Regression: the whole Patient was left out, so its sex was lost with the sentinel birth date."""
    request = _order_sign()
    for entry in request["prefetch"].values():
        if isinstance(entry, dict) and entry.get("resourceType") == "Patient":
            entry["birthDate"] = "0001-01-01"
    cards = _cards(client.post("/cds-services/order-sign", json=request))
    note = "birthDate '0001-01-01T00:00:00+00:00' is not between 1900 and 2199; not used"
    assert note in cards["data-quality"]
    assert "not usable as the patient" not in cards["data-quality"]


@pytest.mark.parametrize("value", OVERFLOWING)
def test_evaluate_fhir_bundle_time_out_of_range_is_left_out(client: TestClient, value: str) -> None:
    patient = {"resourceType": "Patient", "id": "os-thal-1", "gender": "female", "birthDate": "1990-01-01"}
    bundle = {"resourceType": "Bundle", "entry": [{"resource": patient}, {"resource": _cd4(value)}]}
    response = client.post("/evaluate", json=bundle)
    assert response.status_code == 200, response.text
    assert any(n.startswith("Observation/o1: cd4 not usable") for n in response.json()["notes"])


def _card_uuid(client: TestClient) -> str:
    answer = client.post("/cds-services/order-sign", json=load_fixture("order-sign-thalidomide-pregnant"))
    return str(answer.json()["cards"][0]["uuid"])


@pytest.mark.parametrize("value", [*OVERFLOWING, "0001-01-01T00:00:00Z", "2200-01-01T00:00:00Z"])
def test_feedback_time_out_of_range_names_the_field(client: TestClient, value: str) -> None:
    item = {"card": _card_uuid(client), "outcome": "overridden", "outcomeTimestamp": value}
    response = client.post("/cds-services/order-sign/feedback", json={"feedback": [item]})
    assert _fields(response) == ["feedback.0.outcomeTimestamp"]


def test_feedback_time_with_an_offset_is_stored(client: TestClient) -> None:
    item = {
        "card": _card_uuid(client),
        "outcome": "overridden",
        "outcomeTimestamp": "2026-06-01T09:05:00+02:00",
    }
    response = client.post("/cds-services/order-sign/feedback", json={"feedback": [item]})
    assert response.status_code == 200, response.text


def test_a_leap_second_is_a_valid_fhir_time(client: TestClient) -> None:
    response = client.post(
        "/cds-services/order-sign", json=_order_sign(observations=[_cd4("2016-12-31T23:59:60Z")])
    )
    cards = _cards(response)
    assert TERATOGENICITY in cards
    assert "data-quality" not in cards


def test_token_without_server_names_fhir_server(client: TestClient) -> None:
    request = load_fixture("order-sign-thalidomide-pregnant")
    request["fhirAuthorization"] = {
        "access_token": "abc",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "clinrules",
    }
    response = client.post("/cds-services/order-sign", json=request)
    assert _fields(response) == ["fhirServer"]
    assert response.json()["errors"][0]["message"] == "is required when fhirAuthorization is given"


def test_evaluate_leaves_out_an_observation_in_an_unconvertible_unit(client: TestClient) -> None:
    scenario = {
        "patient": {"birth_date": "1994-03-02", "sex": "female"},
        "evaluation_time": "2026-06-01T09:00:00Z",
        "conditions": [{"text": "POEMS syndrome", "onset": "2025-01-01"}],
        "observations": [{"kind": "egfr", "time": "2026-05-20", "value": 25, "unit": "mL/min"}],
        "medications": [{"ingredient": "thalidomide 50 mg capsule", "status": "draft", "draft": True}],
    }
    response = client.post("/evaluate", json=scenario)
    assert response.status_code == 200, response.text
    body = response.json()
    assert TERATOGENICITY in [f["topic"] for f in body["findings"]]
    assert body["notes"] == ["observations.0: unit 'mL/min' cannot be converted for egfr; left out"]


def test_evaluate_still_refuses_structural_faults_beside_an_unconvertible_unit(client: TestClient) -> None:
    scenario = _with("observations.0.unit", "mL/min")
    scenario["observations"].append({"kind": "cd4", "time": "2026-05-20", "value": "lots"})
    assert _fields(client.post("/evaluate", json=scenario)) == ["observations.1.value"]


@pytest.mark.parametrize("link", [5, "next", {"relation": "next"}])
def test_a_malformed_bundle_link_is_no_500(client: TestClient, link: Any) -> None:
    """Regression: a prefetch Bundle whose ``link`` was a number made the next-page check raise (a 500)."""
    request = _order_sign()
    request["prefetch"]["observations"]["link"] = link
    cards = _cards(client.post("/cds-services/order-sign", json=request))
    assert cards[TERATOGENICITY]
