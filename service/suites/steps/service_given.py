"""Given steps of the service's behaviour: the service, the EHR's request and its FHIR server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from pytest_bdd import given, parsers

from service.suites.steps.fhir_server import FhirStore
from service.suites.steps.fixtures import load_fixture
from service.suites.steps.service_world import FHIR_TOKEN, ISSUER, ServiceWorld, ehr_public_jwk

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
    jwk = ehr_public_jwk()
    service_world.start(
        jwt_enabled=True,
        jwt_issuers={ISSUER: {"keys": [{**jwk, "kid": "ehr-1", "alg": "ES384"}]}},
        jwt_audience="http://testserver",
    )


@given(parsers.parse('the EHR prepares the CDS Hooks request "{name}"'))
def prepare_request(service_world: ServiceWorld, name: str) -> None:
    """Load a CDS Hooks request fixture (service/suites/steps/cds/, each listed in its README.md); a name
    that is not one of them is an error listing the names.

    Example: Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    """
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


def _the_resource(world: ServiceWorld, resource_type: str, resource_id: str) -> dict[str, Any]:
    """The one resource of the request with this type and id."""
    found = [
        r
        for r in _resources_in(world.request)
        if r["resourceType"] == resource_type and r.get("id") == resource_id
    ]
    assert len(found) == 1, f"no single {resource_type}/{resource_id} in the request"
    return found[0]


def _coded(system: str, code: str) -> dict[str, Any]:
    """A CodeableConcept of one coding (no text, no display); ``system`` by name or as a URI."""
    return {"coding": [{"system": SYSTEMS.get(system, system), "code": code}]}


@given(parsers.parse('the record codes {resource_type} "{resource_id}" instead as {system} "{code}"'))
def recode(service_world: ServiceWorld, resource_type: str, resource_id: str, system: str, code: str) -> None:
    """Replace the codes of one resource of the request with a single coding (no text, no display).

    Example: Given the record codes Condition "problem-pregnancy" instead as SNOMED CT "72892002"
    """
    element = "medicationCodeableConcept" if resource_type == "MedicationRequest" else "code"
    _the_resource(service_world, resource_type, resource_id)[element] = _coded(system, code)


@given(parsers.parse('the record answers Observation "{resource_id}" instead as {system} "{code}"'))
def reanswer(service_world: ServiceWorld, resource_id: str, system: str, code: str) -> None:
    """Replace the coded answer (``valueCodeableConcept``) of one Observation of the request with a single
    coding (no text, no display).

    Example: Given the record answers Observation "preg" instead as LOINC "LA15173-0"
    """
    _the_resource(service_world, "Observation", resource_id)["valueCodeableConcept"] = _coded(system, code)


@given(
    parsers.parse('component {number:d} of Observation "{resource_id}" is coded instead as {system} "{code}"')
)
def recode_component(
    service_world: ServiceWorld, number: int, resource_id: str, system: str, code: str
) -> None:
    """Replace the code of one component (counted from 1) of an Observation of the request with a single
    coding (no text, no display).

    Example: And component 1 of Observation "lymph-panel" is coded instead as SNOMED CT "113056008"
    """
    components = _the_resource(service_world, "Observation", resource_id).get("component") or []
    assert 1 <= number <= len(components), f"Observation/{resource_id} has no component {number}"
    components[number - 1]["code"] = _coded(system, code)


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


@given(
    parsers.parse(
        'the draft order "{order_id}" names its drug only as Medication "{medication_id}" '
        'on the EHR\'s FHIR server, coded {system} "{code}"'
    )
)
def drug_by_reference(
    service_world: ServiceWorld,
    ehr_fhir_server: tuple[str, FhirStore],
    order_id: str,
    medication_id: str,
    system: str,
    code: str,
) -> None:
    """The order's drug is only a ``medicationReference`` (no name); the Medication is only on the server.

    Example: Given the draft order "draft-thal" names its drug only as Medication "thal" on the EHR's FHIR
    server, coded RxNorm "10432"
    """
    order = _the_resource(service_world, "MedicationRequest", order_id)
    order.pop("medicationCodeableConcept", None)
    order["medicationReference"] = {"reference": f"Medication/{medication_id}"}
    ehr_fhir_server[1].add({"resourceType": "Medication", "id": medication_id, "code": _coded(system, code)})


@given(parsers.parse("the observations are prefetched as an empty search whose total is {total:d}"))
def short_observations(service_world: ServiceWorld, total: int) -> None:
    """The observations search came back with no entries although its ``total`` counts some matches."""
    search = {"resourceType": "Bundle", "type": "searchset", "total": total, "entry": []}
    service_world.request.setdefault("prefetch", {})["observations"] = search
