"""When and Then steps of the service's behaviour: the EHR's calls, and what the service answers."""

from __future__ import annotations

import time
import uuid
from typing import Any

from pytest_bdd import parsers, then, when

from engine.markdown import unescape_markdown
from service.suites.steps.fhir_server import FhirStore
from service.suites.steps.service_world import ServiceWorld, ehr_token


@when("the EHR asks for the CDS services")
def discover(service_world: ServiceWorld) -> None:
    """GET /cds-services."""
    service_world.response = service_world.http.get("/cds-services")


def _call(world: ServiceWorld, service_id: str, headers: dict[str, str] | None = None) -> None:
    world.hook = service_id
    world.response = world.http.post(f"/cds-services/{service_id}", json=world.request, headers=headers or {})
    if world.response.status_code == 200:
        world.cards = {c["source"]["topic"]["code"]: c for c in world.response.json()["cards"]}


@when(parsers.parse('the EHR calls the "{service_id}" service'))
def call(service_world: ServiceWorld, service_id: str) -> None:
    """POST the prepared request to a CDS service."""
    _call(service_world, service_id)


@when(parsers.parse('the EHR calls the "{service_id}" service with a {kind} token'))
def call_with_token(service_world: ServiceWorld, service_id: str, kind: str) -> None:
    """POST with a valid, expired, foreign, replayed or misdirected token."""
    other_service = "http://other-cds.example/cds-services/patient-view"
    tokens = {
        "valid": ehr_token(),
        "expired": ehr_token(exp=int(time.time()) - 600, iat=int(time.time()) - 900),
        "foreign": ehr_token(iss="https://intruder.example"),
        "misdirected": ehr_token(aud=other_service),
    }
    headers: dict[str, str] = {}
    if kind == "replayed":
        token = ehr_token()
        _call(service_world, service_id, {"Authorization": f"Bearer {token}"})
    else:
        token = tokens[kind]
    if kind == "misdirected":  # minted for another CDS service, replayed here under that service's name
        headers["Host"] = "other-cds.example"
    _call(service_world, service_id, {"Authorization": f"Bearer {token}", **headers})


@when(parsers.parse('the EHR posts {body} to "{path}" as "{content_type}"'))
def post_raw(service_world: ServiceWorld, body: str, path: str, content_type: str) -> None:
    """POST a literal body (written in the feature between single quotes)."""
    raw = body.strip("'").encode()
    service_world.response = service_world.http.post(
        path, content=raw, headers={"content-type": content_type}
    )


@when(parsers.parse('the EHR posts {body} to "{path}" without a content type'))
def post_untyped(service_world: ServiceWorld, body: str, path: str) -> None:
    """POST a literal body with no Content-Type header (what a page of another origin can send freely)."""
    service_world.response = service_world.http.post(path, content=body.strip("'").encode())


@when(parsers.parse('the EHR sends "{method}" to "{path}"'))
def send_method(service_world: ServiceWorld, method: str, path: str) -> None:
    """Any method, no body."""
    service_world.response = service_world.http.request(method, path)


@when(parsers.parse('the clinician overrides the "{topic}" card giving the reason "{code}"'))
def override(service_world: ServiceWorld, topic: str, code: str) -> None:
    """Send feedback: overridden, with an override reason."""
    card = service_world.card(topic)
    item = {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {"reason": {"system": "urn:clinrules:override-reason", "code": code}},
        "outcomeTimestamp": "2026-06-01T09:00:00Z",
    }
    service_world.response = service_world.http.post(
        f"/cds-services/{service_world.hook}/feedback", json={"feedback": [item]}
    )


@when(parsers.parse('the clinician accepts the suggestion of the "{topic}" card'))
def accept(service_world: ServiceWorld, topic: str) -> None:
    """Send feedback: accepted, with the card's first suggestion."""
    card = service_world.card(topic)
    item = {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
        "outcomeTimestamp": "2026-06-01T09:00:00Z",
    }
    service_world.response = service_world.http.post(
        f"/cds-services/{service_world.hook}/feedback", json={"feedback": [item]}
    )


# ---- Then -----------------------------------------------------------------------------------------


@then(parsers.parse("the service answers {status:d}"))
def answers(service_world: ServiceWorld, status: int) -> None:
    """The HTTP status."""
    assert service_world.response.status_code == status, service_world.response.text


@then(parsers.parse("the service answers a {status:d} problem"))
def answers_problem(service_world: ServiceWorld, status: int) -> None:
    """An RFC 9457 problem with this status."""
    response = service_world.response
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


@then(parsers.parse('the problem names the field "{field}"'))
def problem_field(service_world: ServiceWorld, field: str) -> None:
    """A 422 lists this field."""
    assert field in [e["field"] for e in service_world.response.json()["errors"]]


@then(parsers.parse('the problem carries an OperationOutcome mentioning "{text}"'))
def problem_outcome(service_world: ServiceWorld, text: str) -> None:
    """A 412 holds a FHIR OperationOutcome."""
    outcome = service_world.response.json()["operationOutcome"]
    assert outcome["resourceType"] == "OperationOutcome"
    assert text in " ".join(i["diagnostics"] for i in outcome["issue"])


@then("the problem says nothing more")
def bare_problem(service_world: ServiceWorld) -> None:
    """A bare problem: type, title, status, instance."""
    assert set(service_world.response.json()) <= {"type", "title", "status", "instance"}


@then("the EHR's FHIR server was never asked for anything")
def fhir_server_untouched(ehr_fhir_server: tuple[str, FhirStore]) -> None:
    """No request reached the FHIR server."""
    assert ehr_fhir_server[1].requests == []


@then(parsers.parse('the EHR\'s FHIR server was asked for "{path}" only'))
def fhir_server_asked_for(ehr_fhir_server: tuple[str, FhirStore], path: str) -> None:
    """The FHIR server was asked for this one resource (``Medication/thal``) and nothing else."""
    assert [asked.split("?")[0] for asked, _ in ehr_fhir_server[1].requests] == [f"/fhir/{path}"]


@then(parsers.parse("the services offered are {hooks}"))
def services_offered(service_world: ServiceWorld, hooks: str) -> None:
    """The discovery document lists these hooks."""
    wanted = {h.strip() for h in hooks.replace(" and ", ", ").split(",")}
    assert {s["hook"] for s in service_world.response.json()["services"]} == wanted


@then(parsers.parse("every service prefetches {keys}"))
def services_prefetch(service_world: ServiceWorld, keys: str) -> None:
    """Each service has these prefetch keys."""
    wanted = {k.strip() for k in keys.replace(" and ", ", ").split(",")}
    for service in service_world.response.json()["services"]:
        assert wanted <= set(service["prefetch"]), service["prefetch"]
        assert all("{{context.patientId}}" in t for t in service["prefetch"].values())


@then(parsers.parse("the cards are, in order: {topics}"))
def cards_in_order(service_world: ServiceWorld, topics: str) -> None:
    """The topic codes of the cards, in the order returned."""
    got = [c["source"]["topic"]["code"] for c in service_world.response.json()["cards"]]
    assert got == [t.strip() for t in topics.split(",")]


@then("no card is returned")
def no_cards(service_world: ServiceWorld) -> None:
    """An empty card list."""
    assert service_world.response.json() == {"cards": []}


@then(parsers.parse('the "{topic}" card is {indicator}'))
def card_indicator(service_world: ServiceWorld, topic: str, indicator: str) -> None:
    """A card's indicator."""
    assert service_world.card(topic)["indicator"] == indicator


@then(parsers.parse('the "{topic}" card suggests deleting "{resource_id}"'))
def card_deletes(service_world: ServiceWorld, topic: str, resource_id: str) -> None:
    """A card's suggestion deletes exactly this draft order."""
    card = service_world.card(topic)
    assert card["selectionBehavior"] == "at-most-one"
    actions = [a for s in card["suggestions"] for a in s.get("actions", [])]
    assert [(a["type"], a["resourceId"]) for a in actions] == [("delete", resource_id)]


@then(parsers.parse('the "{topic}" card says "{text}"'))
def card_says(service_world: ServiceWorld, topic: str, text: str) -> None:
    """A card's summary or detail, as a reader sees it (markdown's backslash escapes removed), contains this
    text.

    Example: Then the "data-quality" card says "http://example.org/formulary"
    """
    card = service_world.card(topic)
    assert text in unescape_markdown(f"{card['summary']}\n{card.get('detail', '')}"), card


@then("every card follows the CDS Hooks specification")
def cards_follow_spec(service_world: ServiceWorld) -> None:
    """uuid, summary < 140, indicator, source with topic; no null or empty value; critical first."""
    cards = service_world.response.json()["cards"]
    ranks = [("critical", "warning", "info").index(c["indicator"]) for c in cards]
    assert ranks == sorted(ranks)

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                assert item not in (None, "", [], {})
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for card in cards:
        walk(card)
        uuid.UUID(card["uuid"])
        assert len(card["summary"]) < 140 and card["detail"]
        assert card["source"]["label"] and card["source"]["topic"]["system"] == "urn:clinrules:topic"


@then("the feedback is stored")
def feedback_stored(service_world: ServiceWorld) -> None:
    """200 with the number stored."""
    assert service_world.response.status_code == 200, service_world.response.text
    assert service_world.response.json() == {"stored": 1}
