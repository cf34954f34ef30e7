"""Patient data inside an alert's markdown is shown as written: a record's free text, code or unit can never
make a link, raw HTML or emphasis in a clinician's card, nor break its list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from engine import fhir
from engine.evaluator import Evaluator
from engine.knowledge import load_knowledge_base
from engine.markdown import escape_markdown
from service.suites.steps.fixtures import load_fixture

LINK = "[call us](https://evil.example/x)"


def test_markdown_characters_are_escaped_and_lines_joined() -> None:
    text = "[a](https://x.org) <img src=x> *b* __c__ `d` ~~e~~ \\ f\n# g\r\n- h"
    assert escape_markdown(text) == (
        r"\[a\](https://x.org) \<img src=x\> \*b\* \_\_c\_\_ \`d\` \~\~e\~\~ \\ f # g - h"
    )
    assert escape_markdown("B20 HIV disease (active, since 2025-11-01)") == (
        "B20 HIV disease (active, since 2025-11-01)"
    )


def _thalidomide_order(text: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "gender": "female",
                    "birthDate": "1984-03-02",
                }
            },
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": "m1",
                    "status": "draft",
                    "intent": "order",
                    "subject": {"reference": "Patient/p1"},
                    "medicationCodeableConcept": {
                        "coding": [
                            {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "10432"}
                        ],
                        "text": text,
                    },
                }
            },
        ],
    }


def test_free_text_of_an_order_is_escaped_in_the_alert_detail() -> None:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    imported = fhir.scenario_from_resources([_thalidomide_order(f"thalidomide {LINK}")], evaluation_time=at)
    result = Evaluator(load_knowledge_base(None)).evaluate(imported.checked().scenario, at=at)
    finding = next(f for f in result.findings if f.topic == "thalidomide-teratogenicity")
    assert r"thalidomide \[call us\](https://evil.example/x) (draft order)" in finding.detail
    assert LINK not in finding.detail
    # The structured reasons keep the data as recorded: only the markdown escapes it.
    assert any(f"thalidomide {LINK} (draft order)" in d for b in finding.because for d in b.data)


def test_a_unit_in_the_data_quality_card_is_escaped(client: TestClient) -> None:
    request = load_fixture("patient-view-iris-risk")
    cd4 = request["prefetch"]["observations"]["entry"][0]["resource"]
    cd4["valueQuantity"] = {**cd4["valueQuantity"], "unit": "mg", "code": f"{LINK}\n# now"}
    cards = client.post("/cds-services/patient-view", json=request).json()["cards"]
    quality = cards[-1]
    assert quality["source"]["topic"]["code"] == "data-quality"
    assert r"unit '\[call us\](https://evil.example/x) # now' cannot be converted" in quality["detail"]
    assert LINK not in quality["detail"] and "\n# now" not in quality["detail"]
