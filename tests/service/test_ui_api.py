"""The playground's helpers: the facts in words, and the medication names the form suggests."""

from __future__ import annotations

from fastapi.testclient import TestClient

from engine.facts import PatientFacts


def test_every_fact_evaluate_returns_has_its_words(client: TestClient) -> None:
    facts = client.get("/ui/api/facts").json()
    assert [f["name"] for f in facts] == list(PatientFacts.model_fields)
    by_name = {f["name"]: f for f in facts}
    assert by_name["baseline_cd4"]["unit"] == "cells/µL"
    assert by_name["baseline_cd4"]["label"].startswith("Baseline CD4 count")
    assert by_name["pregnant"] == {"name": "pregnant", "label": "Pregnant", "unit": None}


def test_form_suggests_the_medications_the_rules_recognise(client: TestClient) -> None:
    names = client.get("/ui/api/form-options").json()["ingredients"]
    assert {"dolutegravir", "thalidomide", "prednisone", "aldesleukin", "rifampicin"} <= set(names)
    assert names == sorted(names, key=str.casefold)
