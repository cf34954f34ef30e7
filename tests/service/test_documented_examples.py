"""Every request example of the OpenAPI document gives the cards its description says, whatever the day.

The examples carry ``x-clinrules-cards`` (the topics, in order) or ``x-clinrules-status``; they are dated from
the day the document is served, since the rules look back from the time of the call.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import openapi_docs
from service.openapi_docs import CARDS, STATUS


def _examples(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, post in (
        ("/cds-services/patient-view", spec["paths"]["/cds-services/{service_id}"]["post"]),
        ("/evaluate", spec["paths"]["/evaluate"]["post"]),
    ):
        for name, example in post["requestBody"]["content"]["application/json"]["examples"].items():
            found.append((path, name, example))
    return found


def _check(client: TestClient, path: str, name: str, example: dict[str, Any]) -> None:
    body = example["value"]
    if path.startswith("/cds-services/"):
        path = f"/cds-services/{body['hook']}"
    answer = client.post(path, json=body)
    if STATUS in example:
        assert answer.status_code == example[STATUS], (name, answer.text)
        return
    assert answer.status_code == 200, (name, answer.text)
    cards = answer.json().get("cards", answer.json().get("findings", []))
    got = [c["source"]["topic"]["code"] if "source" in c else c["topic"] for c in cards]
    assert got == example[CARDS], (name, answer.json())


def test_every_documented_example_says_what_it_gives(client: TestClient) -> None:
    examples = _examples(client.get("/openapi.json").json())
    assert len(examples) == 5
    assert all(CARDS in e or STATUS in e for _, _, e in examples)
    for path, name, example in examples:
        _check(client, path, name, example)


@pytest.mark.parametrize("days_later", [200, 400])
def test_examples_served_later_are_dated_from_that_day(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, days_later: int
) -> None:
    # A service left running: the document served on a later day is dated from that day, not from start-up
    # (with dates fixed at start-up the baseline CD4 falls out of its 180-day window and iris-risk goes).
    later = date.today() + timedelta(days=days_later)
    monkeypatch.setattr(openapi_docs, "today", lambda: later)
    spec = client.get("/openapi.json").json()
    order_sign = spec["paths"]["/cds-services/{service_id}"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]["order-sign"]["value"]
    cd4 = order_sign["prefetch"]["observations"]["entry"][0]["resource"]
    assert cd4["effectiveDateTime"] == (later - timedelta(days=12)).isoformat()
