"""Step library of the service's behaviour (features/service/): an EHR talking to clinrules over HTTP.

"The clinrules service is running" is the service the suite targets: a fresh one in this process, or the one
at ``clinrules test --url`` (the target's ``url``). A scenario that needs the service configured its own way
(JWT security on) always starts its own instance in this process, since a running service's settings are
its operator's.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from pytest_bdd import given, parsers, then, when

from service.app import create_app
from service.settings import Settings
from service.suites.steps.fhir_server import FhirStore, running_fhir_server
from service.suites.steps.fixtures import load_fixture

ISSUER = "https://ehr.example.org"
FHIR_TOKEN = "ehr-fhir-token"
_KEY = ec.generate_private_key(ec.SECP384R1())


class ServiceWorld:
    """What one scenario has set up and seen."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.client: TestClient | httpx.Client | None = None
        self.request: dict[str, Any] = {}
        self.response: Any = None
        self.cards: dict[str, dict[str, Any]] = {}
        self.hook = ""

    def start(self, **settings: Any) -> TestClient:
        """Start the app with these settings (on a fresh database)."""
        cfg = Settings(database_url=f"sqlite:///{self.tmp_path / 'audit.db'}", _env_file=None, **settings)
        self.client = TestClient(create_app(cfg))
        self.client.__enter__()
        return self.client

    def connect(self, url: str) -> httpx.Client:
        """Talk to the service already running at ``url``."""
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=30.0)
        return self.client

    @property
    def http(self) -> TestClient | httpx.Client:
        """The client (the service must be running)."""
        assert self.client is not None, "start the service first"
        return self.client


@pytest.fixture
def service_world(tmp_path: Path) -> Iterator[ServiceWorld]:
    """The scenario's service, client and last response; the service stops afterwards."""
    world = ServiceWorld(tmp_path)
    yield world
    if isinstance(world.client, TestClient):
        world.client.__exit__(None, None, None)
    elif world.client is not None:
        world.client.close()


@pytest.fixture
def service_url(clinrules_target: object) -> str | None:
    """The URL of the running service the suite targets (``clinrules test --url``), or None: in process."""
    url = getattr(clinrules_target, "url", None)
    return str(url) if url else None


@pytest.fixture
def ehr_fhir_server() -> Iterator[tuple[str, FhirStore]]:
    """The EHR's FHIR server on loopback."""
    store = FhirStore(token=FHIR_TOKEN)
    with running_fhir_server(store) as url:
        yield url, store


def _token(**claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "sub": "ehr",
        "aud": "http://testserver",
        "exp": now + 300,
        "iat": now,
        "jti": str(uuid.uuid4()),
    }
    payload.update(claims)
    return jwt.encode(payload, _KEY, algorithm="ES384", headers={"kid": "ehr-1"})


# ---- Given ----------------------------------------------------------------------------------------


@given("the clinrules service is running")
def service_running(service_world: ServiceWorld, service_url: str | None) -> None:
    """The service under test: the one at `--url` when given, else a fresh one with default settings.

    Example: Given the clinrules service is running
    """
    if service_url:
        service_world.connect(service_url)
    else:
        service_world.start()


@given("the clinrules service is running with JWT security on")
def service_running_secured(service_world: ServiceWorld) -> None:
    """A fresh instance with JWT verification, the EHR its trusted issuer (in process, even with `--url`).

    Example: Given the clinrules service is running with JWT security on
    """
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(_KEY.public_key()))
    service_world.start(
        jwt_enabled=True,
        jwt_issuers={ISSUER: {"keys": [{**jwk, "kid": "ehr-1", "alg": "ES384"}]}},
        jwt_audience="http://testserver",
    )


@given(parsers.parse('the EHR prepares the CDS Hooks request "{name}"'))
def prepare_request(service_world: ServiceWorld, name: str) -> None:
    """Load a CDS Hooks request fixture (service/suites/steps/cds/)."""
    service_world.request = load_fixture(name)


@given(parsers.parse('the request leaves out the prefetch "{key}"'))
def drop_prefetch(service_world: ServiceWorld, key: str) -> None:
    """Remove one prefetch entry."""
    service_world.request["prefetch"].pop(key, None)


@given("the request has no prefetch")
def no_prefetch(service_world: ServiceWorld) -> None:
    """Remove the whole prefetch."""
    service_world.request.pop("prefetch", None)


@given(parsers.parse('the request context leaves out "{field}"'))
def drop_context_field(service_world: ServiceWorld, field: str) -> None:
    """Remove one context field."""
    service_world.request["context"].pop(field, None)


@given("the EHR's FHIR server holds the patient's record")
def fhir_server_holds(service_world: ServiceWorld, ehr_fhir_server: tuple[str, FhirStore]) -> None:
    """Put the request's prefetch data on the loopback FHIR server and point the request at it."""
    url, store = ehr_fhir_server
    prefetch = service_world.request.get("prefetch") or load_fixture("patient-view-iris-risk")["prefetch"]
    for value in prefetch.values():
        if value.get("resourceType") == "Bundle":
            store.add(*(e["resource"] for e in value.get("entry", [])))
        else:
            store.add(value)
    service_world.request["fhirServer"] = url
    service_world.request["fhirAuthorization"] = {
        "access_token": FHIR_TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "clinrules",
    }


@given("the service trusts the EHR's FHIR server")
def trust_fhir_server(service_world: ServiceWorld, ehr_fhir_server: tuple[str, FhirStore]) -> None:
    """Restart the service with the EHR's (loopback) FHIR server as its one trusted FHIR server."""
    if service_world.client is not None:
        service_world.client.__exit__(None, None, None)
    service_world.start(fhir_trusted_servers=[ehr_fhir_server[0]])


@given("the observations are prefetched as a first page holding only a body weight")
def paged_observations(service_world: ServiceWorld, ehr_fhir_server: tuple[str, FhirStore]) -> None:
    """The server pages searches one result at a time, a body weight first; the prefetch is page 1 only."""
    url, store = ehr_fhir_server
    patient = service_world.request["context"]["patientId"]
    weight = {
        "resourceType": "Observation",
        "id": "body-weight",
        "status": "final",
        "subject": {"reference": f"Patient/{patient}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "valueQuantity": {"value": 61, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
    }
    store.resources = {"Observation/body-weight": weight, **store.resources}
    store.page_size = 1
    first_page = httpx.get(
        f"{url}/Observation?patient={patient}", headers={"Authorization": f"Bearer {FHIR_TOKEN}"}
    ).json()
    assert [e["resource"]["id"] for e in first_page["entry"]] == ["body-weight"] and first_page["link"]
    store.requests.clear()
    service_world.request.setdefault("prefetch", {})["observations"] = first_page


# Code systems by the names a clinician reads in a feature.
SYSTEMS = {
    "SNOMED CT": "http://snomed.info/sct",
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "WHO ICD-10": "http://hl7.org/fhir/sid/icd-10",
    "ICD-11": "http://id.who.int/icd/release/11/mms",
    "LOINC": "http://loinc.org",
    "RxNorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "ATC": "http://www.whocc.no/atc",
    "CIEL": "https://cielterminology.org",
}


def _resources_in(node: Any) -> Iterator[dict[str, Any]]:
    """Every FHIR resource in a request: prefetch, Bundle entries and draft orders."""
    if isinstance(node, dict):
        if isinstance(node.get("resourceType"), str):
            yield node
        for value in node.values():
            yield from _resources_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _resources_in(item)


@given(parsers.parse('the record codes {resource_type} "{resource_id}" instead as {system} "{code}"'))
def recode(service_world: ServiceWorld, resource_type: str, resource_id: str, system: str, code: str) -> None:
    """Replace the codes of one resource of the request with a single coding (no text, no display).

    Example: Given the record codes Condition "problem-pregnancy" instead as SNOMED CT "72892002"
    """
    found = [
        r
        for r in _resources_in(service_world.request)
        if r["resourceType"] == resource_type and r.get("id") == resource_id
    ]
    assert len(found) == 1, f"no single {resource_type}/{resource_id} in the request"
    element = "medicationCodeableConcept" if resource_type == "MedicationRequest" else "code"
    found[0][element] = {"coding": [{"system": SYSTEMS.get(system, system), "code": code}]}


@given(parsers.parse('the record gives the patient\'s gender as "{gender}"'))
def patient_gender(service_world: ServiceWorld, gender: str) -> None:
    """Set Patient.gender in the prefetch.

    Example: Given the record gives the patient's gender as "male"
    """
    service_world.request["prefetch"]["patient"]["gender"] = gender


@given("the record gives the patient's sex only in the US Core individual-sex extension")
def sex_in_extension(service_world: ServiceWorld) -> None:
    """Move Patient.gender into the US Core 8 individual-sex extension (SNOMED CT), as US Core 8 writes it.

    Example: Given the record gives the patient's sex only in the US Core individual-sex extension
    """
    patient = service_world.request["prefetch"]["patient"]
    code = {"female": "248152002", "male": "248153007"}[patient.pop("gender")]
    patient.setdefault("extension", []).append(
        {
            "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-individual-sex",
            "valueCoding": {"system": "http://snomed.info/sct", "code": code},
        }
    )


# ---- When -----------------------------------------------------------------------------------------


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
        "valid": _token(),
        "expired": _token(exp=int(time.time()) - 600, iat=int(time.time()) - 900),
        "foreign": _token(iss="https://intruder.example"),
        "misdirected": _token(aud=other_service),
    }
    headers: dict[str, str] = {}
    if kind == "replayed":
        token = _token()
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
    card = service_world.cards[topic]
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
    card = service_world.cards[topic]
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
    assert service_world.cards[topic]["indicator"] == indicator


@then(parsers.parse('the "{topic}" card suggests deleting "{resource_id}"'))
def card_deletes(service_world: ServiceWorld, topic: str, resource_id: str) -> None:
    """A card's suggestion deletes exactly this draft order."""
    card = service_world.cards[topic]
    assert card["selectionBehavior"] == "at-most-one"
    actions = [a for s in card["suggestions"] for a in s.get("actions", [])]
    assert [(a["type"], a["resourceId"]) for a in actions] == [("delete", resource_id)]


@then(parsers.parse('the "{topic}" card says "{text}"'))
def card_says(service_world: ServiceWorld, topic: str, text: str) -> None:
    """A card's summary or detail contains this text.

    Example: Then the "data-quality" card says "http://example.org/formulary"
    """
    card = service_world.cards[topic]
    assert text in f"{card['summary']}\n{card.get('detail', '')}", card


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
