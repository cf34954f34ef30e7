"""A search Bundle's ``total`` (FHIR R4: the matches in the whole result) above the matches it holds means
part of the result is missing: noted, since an alert may be missing. And a Medication a search ``_include``d
is read like any other in the request."""

from __future__ import annotations

from typing import Any

import pytest

from engine.fhir.bundles import matches, short_of_total
from tests.unit.fhir.builders import RXNORM, Resource, cd4, med_request, read


def _searchset(*entries: Resource, total: Any = None, **extra: Any) -> Resource:
    bundle: Resource = {"resourceType": "Bundle", "type": "searchset", "entry": list(entries), **extra}
    if total is not None:
        bundle["total"] = total
    return bundle


def _match(resource: Resource, mode: str | None = "match") -> Resource:
    return {"resource": resource, "search": {"mode": mode}} if mode else {"resource": resource}


MEDICATION = {
    "resourceType": "Medication",
    "id": "thal",
    "code": {"coding": [{"system": RXNORM, "code": "10432", "display": "thalidomide"}]},
}
OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "information", "code": "informational"}],
}


def test_a_medication_included_by_the_search_resolves_the_orders_reference() -> None:
    order = med_request("r", medicationReference={"reference": "Medication/thal"})
    result = read(_searchset(_match(order), _match(MEDICATION, "include"), total=1))
    [medication] = result.scenario.medications
    assert medication.classes == ["thalidomide-class"]
    assert result.notes == [] and result.unresolved_references == []


def test_a_search_holding_fewer_matches_than_its_total_is_noted() -> None:
    result = read(_searchset(_match(cd4("a", 40)), total=3))
    assert result.notes == [
        "Bundle (item 1): the search result counts 3 matches (Bundle.total) but holds 1; "
        "the others were not given, so an alert may be missing"
    ]
    assert len(result.scenario.observations) == 1  # what was given is still read


def test_an_empty_search_whose_total_says_one_is_noted() -> None:
    [note] = read(_searchset(total=1)).notes
    assert "counts 1 matches (Bundle.total) but holds 0" in note and "an alert may be missing" in note


@pytest.mark.parametrize(
    ("bundle", "short"),
    [
        (_searchset(_match(cd4("a", 40)), total=1), False),
        (_searchset(_match(cd4("a", 40), None), total=1), False),  # no mode is a match
        (_searchset(_match(cd4("a", 40)), _match(cd4("b", 41)), total=1), False),  # total below: unaffected
        (_searchset(_match(cd4("a", 40))), False),  # no total
        (_searchset(total=0), False),
        (_searchset(_match(MEDICATION, "include"), total=1), True),  # an include is not a match
        (_searchset(_match(OUTCOME, "outcome"), total=1), True),  # nor an outcome
        (_searchset(total=2, link=[{"relation": "next", "url": "https://x/fhir/Observation?p=2"}]), False),
        ({**_searchset(total=2), "type": "collection"}, False),  # only a search result has a total to check
        (_searchset(total=True), False),  # not a number
        (_searchset(total="2"), False),
    ],
)
def test_short_of_total(bundle: Resource, short: bool) -> None:
    assert short_of_total(bundle) is short


def test_matches_counts_only_match_entries() -> None:
    bundle = _searchset(
        _match(cd4("a", 40)),
        _match(cd4("b", 40), None),
        _match(MEDICATION, "include"),
        _match(OUTCOME, "outcome"),
    )
    assert matches(bundle) == 2


def test_a_whole_search_is_not_noted() -> None:
    assert read(_searchset(_match(cd4("a", 40)), _match(MEDICATION, "include"), total=1)).notes == []
