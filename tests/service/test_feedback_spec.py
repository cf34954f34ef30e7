"""Feedback as CDS Hooks 2.0 defines it: the specification's three examples are stored; an acceptance
without an accepted suggestion, an empty overrideReason, or a suggestion that is not the card's is a 422
naming the field, and none of them reaches the analytics."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.suites.steps.fixtures import load_fixture

URL = "/cds-services/order-sign/feedback"
WHEN = "2026-12-02T10:05:00Z"


def _cards(client: TestClient) -> dict[str, dict[str, Any]]:
    request = load_fixture("order-sign-thalidomide-pregnant")
    answer = client.post("/cds-services/order-sign", json=request)
    return {card["source"]["topic"]["code"]: card for card in answer.json()["cards"]}


def _item(card: dict[str, Any], outcome: str, **members: Any) -> dict[str, Any]:
    return {"card": card["uuid"], "outcome": outcome, "outcomeTimestamp": WHEN, **members}


def _fields(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


def _feedback_counted(client: TestClient, topic: str) -> tuple[str, str]:
    rows = csv.DictReader(io.StringIO(client.get("/analytics.csv").text))
    row = next(r for r in rows if r["topic"] == topic)
    return row["accepted"], row["overridden"]


def test_the_three_examples_of_the_specification_are_stored(client: TestClient) -> None:
    cards = _cards(client)
    pregnancy, teratogenicity = cards["thalidomide-pregnancy"], cards["thalidomide-teratogenicity"]
    suggestion = {"id": pregnancy["suggestions"][0]["uuid"]}
    examples = [
        _item(pregnancy, "accepted", acceptedSuggestions=[suggestion]),  # suggestion accepted
        _item(teratogenicity, "overridden"),  # overridden guidance
        _item(  # explicit reject with override reasons (the EHR's own reason, and a comment)
            teratogenicity,
            "overridden",
            overrideReason={
                "reason": {
                    "code": "d7ecf885",
                    "system": "https://example.com/cds-hooks/override-reason-system",
                },
                "userComment": "clinician entered comment",
            },
        ),
    ]
    for example in examples:
        answer = client.post(URL, json={"feedback": [example]})
        assert answer.status_code == 200 and answer.json() == {"stored": 1}, answer.text
    assert _feedback_counted(client, "thalidomide-pregnancy") == ("1", "0")


@pytest.mark.parametrize("members", [{}, {"acceptedSuggestions": []}])
def test_an_acceptance_needs_an_accepted_suggestion(client: TestClient, members: dict[str, Any]) -> None:
    card = _cards(client)["thalidomide-teratogenicity"]  # a card without suggestions
    assert "suggestions" not in card
    answer = client.post(URL, json={"feedback": [_item(card, "accepted", **members)]})
    assert _fields(answer) == ["feedback.0.acceptedSuggestions"]
    assert _feedback_counted(client, "thalidomide-teratogenicity") == ("0", "0")


@pytest.mark.parametrize("reason", [{}, {"userComment": "  "}, {"reason": None, "userComment": None}])
def test_an_override_reason_must_hold_a_reason_or_a_comment(
    client: TestClient, reason: dict[str, Any]
) -> None:
    card = _cards(client)["thalidomide-teratogenicity"]
    answer = client.post(URL, json={"feedback": [_item(card, "overridden", overrideReason=reason)]})
    assert _fields(answer) == ["feedback.0.overrideReason"]
    assert _feedback_counted(client, "thalidomide-teratogenicity") == ("0", "0")
    comment_only = _item(card, "overridden", overrideReason={"userComment": "discussed with the patient"})
    assert client.post(URL, json={"feedback": [comment_only]}).json() == {"stored": 1}


def test_a_suggestion_of_another_card_is_named(client: TestClient) -> None:
    cards = _cards(client)
    pregnancy, teratogenicity = cards["thalidomide-pregnancy"], cards["thalidomide-teratogenicity"]
    own = {"id": pregnancy["suggestions"][0]["uuid"]}
    borrowed = _item(teratogenicity, "accepted", acceptedSuggestions=[{"id": "not-ours"}, own])
    mixed = _item(pregnancy, "accepted", acceptedSuggestions=[own, {"id": "not-ours"}])
    answer = client.post(URL, json={"feedback": [mixed]})
    assert _fields(answer) == ["feedback.0.acceptedSuggestions.1.id"]
    answer = client.post(URL, json={"feedback": [_item(pregnancy, "overridden"), borrowed]})
    assert _fields(answer) == ["feedback.1.acceptedSuggestions.0.id", "feedback.1.acceptedSuggestions.1.id"]
    assert _feedback_counted(client, "thalidomide-pregnancy") == ("0", "0")


def test_members_of_the_other_outcome_are_named(client: TestClient) -> None:
    card = _cards(client)["thalidomide-pregnancy"]
    suggestion = {"id": card["suggestions"][0]["uuid"]}
    reason = {"userComment": "not now"}
    accepted = _item(card, "accepted", acceptedSuggestions=[suggestion], overrideReason=reason)
    overridden = _item(card, "overridden", acceptedSuggestions=[suggestion])
    assert _fields(client.post(URL, json={"feedback": [accepted]})) == ["feedback.0.overrideReason"]
    assert _fields(client.post(URL, json={"feedback": [overridden]})) == ["feedback.0.acceptedSuggestions"]
