"""Patient data inside an alert's markdown is shown as written: a record's free text, code or unit can never
make a link, raw HTML or emphasis in a clinician's card, nor break its list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import cmarkgfm
from cmarkgfm.cmark import Options
from fastapi.testclient import TestClient

from engine import fhir
from engine.evaluator import Evaluator
from engine.knowledge import load_knowledge_base
from engine.markdown import escape_markdown, unescape_markdown
from service.suites.steps.fixtures import load_fixture

LINK = "[call us](https://evil.example/x)"


def test_markdown_characters_are_escaped_and_lines_joined() -> None:
    text = "[a](https://x.org) <img src=x> *b* __c__ `d` ~~e~~ \\ f &lt; www.x.org\n# g\r\n- h"
    assert escape_markdown(text) == (
        r"\[a\](https\://x.org) \<img src=x\> \*b\* \_\_c\_\_ \`d\` \~\~e\~\~ \\ f \&lt; www\.x.org # g - h"
    )
    assert unescape_markdown(escape_markdown(text)) == " ".join(text.split())
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
    assert r"thalidomide \[call us\](https\://evil.example/x) (draft order)" in finding.detail
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
    assert r"unit '\[call us\](https\://evil.example/x) # now' cannot be converted" in quality["detail"]
    assert LINK not in quality["detail"] and "\n# now" not in quality["detail"]


HOSTILE = (
    "thalidomide [call us](https://evil.example/a) ![x](https://evil.example/b) https://evil.example/c "
    "www.evil.example <https://evil.example/d> <img src=x onerror=alert(1)> &lt;b&gt; **now** ~~old~~ `c`"
)


def _github_html(markdown: str) -> str:
    # As GitHub renders it, raw HTML let through (as an EHR that trusts its CDS services might).
    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))


def test_patient_text_renders_as_written_in_github_flavoured_markdown() -> None:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    imported = fhir.scenario_from_resources([_thalidomide_order(HOSTILE)], evaluation_time=at)
    result = Evaluator(load_knowledge_base(None)).evaluate(imported.checked().scenario, at=at)
    finding = next(f for f in result.findings if f.topic == "thalidomide-teratogenicity")
    html = _github_html(finding.detail)
    reason = next(line for line in html.splitlines() if "thalidomide [call us]" in line)
    # No link, image, element, decoded entity or emphasis comes from the record: its text, HTML-escaped.
    assert "evil.example" not in html.replace(reason, "")
    for made in ("<a ", "<img", "<strong>", "<del>", "<code>", "<b>", "&lt;b&gt;"):
        assert made not in reason, made
    assert "&amp;lt;b&amp;gt; **now** ~~old~~ `c`" in reason
    assert "https://evil.example/c www.evil.example &lt;https://evil.example/d&gt;" in reason
