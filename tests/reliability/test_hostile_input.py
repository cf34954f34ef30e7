"""Hostile input to the service: each gets a clear 4xx (problem+json), never a 5xx or a hang."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytest.importorskip("service.app")

from tests.reliability.service_app import patient_view, prefetch_keys, started_client

PV = "/cds-services/patient-view"

# A FHIR resource that is not valid R4 is refused (422, naming it): evaluating without it could hide a
# critical card.


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with started_client(tmp_path_factory.mktemp("hostile")) as c:
        yield c


@pytest.fixture(scope="module")
def good(client: TestClient) -> dict[str, Any]:
    body = patient_view("hostile-1", prefetch_keys(client.get("/cds-services").json()))
    answer = client.post(PV, json=body)
    assert answer.status_code == 200 and answer.json()["cards"], answer.text
    return body


def assert_clear_4xx(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem.get("title") and (problem.get("detail") or problem.get("errors"))


def _raw(client: TestClient, data: bytes | str, content_type: str = "application/json") -> Any:
    return client.post(PV, content=data, headers={"content-type": content_type})


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b'{"hook": "patient-view",',
        b"[1, 2",
        b"nul",
        b"{'hook': 'patient-view'}",
        b"\xff\xfe{}",
        b'{"hook": NaN}',
        b'{"hook": Infinity}',
        b"{}{}",
        b"[]",
        b"42",
        b'"text"',
    ],
)
def test_malformed_json_is_a_clear_4xx(client: TestClient, data: bytes) -> None:
    assert_clear_4xx(_raw(client, data))


def test_truncated_requests_are_a_clear_4xx(client: TestClient, good: dict[str, Any]) -> None:
    data = json.dumps(good).encode()
    for cut in (1, len(data) // 7, len(data) // 3, len(data) // 2, len(data) - 1):
        assert_clear_4xx(_raw(client, data[:cut]))


def test_wrong_content_type_is_a_clear_4xx(client: TestClient, good: dict[str, Any]) -> None:
    assert_clear_4xx(_raw(client, json.dumps(good), "text/plain"))


def _set(body: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    node: Any = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (["prefetch", "patient"], "Patient/123"),
        (["prefetch", "patient"], [1, 2, 3]),
        pytest.param(["prefetch", "patient", "birthDate"], 19790614),
        pytest.param(["prefetch", "patient", "gender"], {"code": "male"}),
        (["prefetch", "observations"], "not a bundle"),
        pytest.param(["prefetch", "observations", "entry"], {"resource": {}}),
        pytest.param(
            ["prefetch", "observations", "entry", 0, "resource", "valueQuantity", "value"],
            "38",
        ),
        pytest.param(
            ["prefetch", "observations", "entry", 0, "resource", "valueQuantity", "value"],
            "abc",
        ),
        pytest.param(
            ["prefetch", "observations", "entry", 0, "resource", "valueQuantity", "value"],
            True,
        ),
        pytest.param(["prefetch", "observations", "entry", 0, "resource", "valueQuantity"], [38]),
        pytest.param(
            ["prefetch", "observations", "entry", 0, "resource", "effectiveDateTime"],
            "yesterday",
        ),
        pytest.param(["prefetch", "observations", "entry", 0, "resource", "code"], "24467-3"),
        pytest.param(["prefetch", "conditions", "entry", 0, "resource", "onsetDateTime"], 2024),
        pytest.param(["prefetch", "conditions", "entry", 0, "resource", "clinicalStatus"], "active"),
        pytest.param(
            ["prefetch", "medicationRequests", "entry", 0, "resource", "authoredOn"],
            {"date": "x"},
        ),
        pytest.param(
            ["prefetch", "medicationRequests", "entry", 0, "resource", "resourceType"],
            "Banana",
        ),
        (["context", "patientId"], 12345),
        (["context"], "patient"),
        (["hook"], 7),
        (["hookInstance"], {"id": 1}),
    ],
)
def test_wrong_types_are_a_clear_4xx(
    client: TestClient, good: dict[str, Any], where: list[Any], value: Any
) -> None:
    assert_clear_4xx(client.post(PV, json=_set(good, where, value)))


def test_a_huge_bundle_is_a_clear_4xx(client: TestClient, good: dict[str, Any]) -> None:
    entry = good["prefetch"]["observations"]["entry"][0]
    huge = _set(good, ["prefetch", "observations", "entry"], [copy.deepcopy(entry) for _ in range(12_000)])
    assert len(json.dumps(huge)) > 2 * 1024 * 1024
    assert_clear_4xx(client.post(PV, json=huge))


def test_deep_nesting_is_a_clear_4xx(client: TestClient, good: dict[str, Any]) -> None:
    for depth in (100, 5_000, 100_000):
        nested = "[" * depth + "]" * depth
        text = json.dumps(good)[:-1] + f', "extension": {nested}}}'
        assert_clear_4xx(_raw(client, text))


@pytest.mark.parametrize("number", ["1e-05", "3.8E1", "1e400", "-1e400", "1" * 400, "1e15000"])
def test_numbers_in_exponent_form_never_break_the_engine(
    client: TestClient, good: dict[str, Any], number: str
) -> None:
    # durable-rules rejects exponent notation (error 204): such numbers are read and formatted, or refused.
    text = json.dumps(good).replace('"value": 38,', f'"value": {number},', 1)
    assert text != json.dumps(good)
    answer = _raw(client, text)
    if answer.status_code == 200:
        assert "cards" in answer.json()
    else:
        assert_clear_4xx(answer)


def test_the_service_still_answers_after_all_that(client: TestClient, good: dict[str, Any]) -> None:
    assert client.post(PV, json=good).status_code == 200


@pytest.mark.parametrize(
    "scenario",
    [
        {"evaluation_time": "0001-01-01T00:00:00Z"},
        {
            "evaluation_time": "2026-01-01T00:00:00Z",
            "observations": [{"kind": "cd4", "time": "0001-01-01", "value": 1}],
            "medications": [{"ingredient": "dolutegravir", "start": "0001-01-02"}],
        },
    ],
)
def test_dates_at_the_edge_of_the_calendar_are_a_clear_4xx_or_evaluated(
    client: TestClient, scenario: dict[str, Any]
) -> None:
    # Found by schemathesis: derive's `now - timedelta(days=...)` overflows before year 1 (500).
    answer = client.post("/evaluate", json=scenario)
    if answer.status_code != 200:
        assert_clear_4xx(answer)
