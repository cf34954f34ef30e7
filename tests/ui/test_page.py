"""The web page end to end in headless Chromium (Debian's ``chromium``, driven by the ``playwright`` package).

Set ``CLINRULES_REQUIRE_BROWSER=1`` (as CI does) to fail, rather than skip, when Chromium or playwright is
missing. Nothing is downloaded: playwright launches the system Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.suites.server import live_service

CHROMIUM = os.environ.get("CLINRULES_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


def _require() -> Any:
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed"
    if missing is None and not shutil.which(CHROMIUM):
        missing = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if missing:
        if os.environ.get("CLINRULES_REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)
    return sync_playwright


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_service(tmp_path_factory.mktemp("ui")) as url:
        yield url


@pytest.fixture(scope="module")
def browser_page(page_url: str) -> Iterator[Any]:
    sync_playwright = _require()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # The service's Content-Security-Policy must never block anything the page itself does.
        csp = "Content Security Policy"
        page.on("console", lambda msg: errors.extend([msg.text] if csp in msg.text else []))
        page.goto(f"{page_url}/ui")
        yield page
        assert errors == [], errors
        browser.close()


def test_catalogue_lists_every_rule_with_its_scenarios(browser_page: Any) -> None:
    page = browser_page
    page.wait_for_selector("details.rule")
    assert page.locator("details.rule").count() == 13
    rule = page.locator('details.rule[data-topic="iris-risk"]')
    rule.locator(":scope > summary").focus()
    page.keyboard.press("Enter")  # opens the rule with the keyboard
    text = rule.inner_text()
    assert "Statements encoded" in text and "483.risk" in text
    assert "cd4_below" in text and "100 cells/µL" in text
    assert "Müller" in text or "AIDS InfoNet" in text
    assert "Gherkin scenario" in text and "The baseline CD4 count must be strictly below 100" in text
    assert re.search(r"mutation score 100%: (\d+) of \1 changes caught", text)  # rules/mutation-scores.json
    page.fill("#filter", "pregnan")
    assert page.locator("details.rule:not([hidden])").count() < 13


def test_recognised_codes_list_the_systems_of_each_concept(browser_page: Any) -> None:
    page = browser_page
    page.wait_for_selector('#concept-table tr[data-concept="hiv"]')
    hiv = page.locator('#concept-table tr[data-concept="hiv"]').inner_text()
    for system in ("SNOMED CT", "ICD-10-CM", "WHO ICD-10", "ICD-11 MMS", "CIEL", "WHO SMART HIV"):
        assert system in hiv
    art = page.locator('#concept-table tr[data-concept="art"]').inner_text()
    assert "WHO ATC" in art and "RxNorm" in art and "dolutegravir" in art
    assert "names only" in page.locator('#concept-table tr[data-concept="poems"]').inner_text()


def test_playground_evaluates_with_the_keyboard(browser_page: Any) -> None:
    page = browser_page
    scenario = {
        "patient": {"birth_date": "1994-07-15", "sex": "female"},
        "evaluation_time": "2026-06-01T09:00:00Z",
        "conditions": [{"text": "POEMS syndrome", "onset": "2026-01-10"}],
        "observations": [{"kind": "pregnancy-status", "time": "2026-05-30", "value": "pregnant"}],
        "medications": [{"ingredient": "thalidomide", "status": "draft", "draft": True}],
    }
    page.fill("#at", "")
    page.fill("#scenario", json.dumps(scenario))
    page.focus("#scenario")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#results article.card")
    cards = page.locator("#results article.card")
    topics = [cards.nth(i).get_attribute("data-topic") for i in range(cards.count())]
    assert topics[0] == "thalidomide-pregnancy"
    assert "thalidomide-teratogenicity" in topics
    first = cards.nth(0)
    assert "critical" in (first.get_attribute("class") or "")
    assert first.inner_text().count("Why it fired") == 1 and "Pregnant" in first.inner_text()
    assert "Evidence: high" in first.inner_text()
    assert "THALOMID" in first.inner_text()  # its sources
    assert page.locator("#understood").is_visible() and "Pregnant" in page.inner_text("#understood dl")
    assert "critical" in page.inner_text("#status")
    assert page.get_attribute("#status", "aria-live") == "polite"


def test_examples_and_errors(browser_page: Any) -> None:
    page = browser_page
    page.click('button[data-example="fhir-bundle"]')
    assert page.evaluate("document.activeElement.id") == "scenario"
    page.keyboard.press("Control+Enter")
    page.wait_for_selector('#results article.card[data-topic="iris-risk"]')
    page.fill("#scenario", "{not json")
    page.keyboard.press("Control+Enter")
    # Selectors, not wait_for_function: polling a JavaScript string is eval, which the page's CSP forbids.
    page.wait_for_selector("#status:has-text('Not valid JSON')")
    page.fill("#scenario", json.dumps({"patient": {"sex": "female"}, "observations": [
        {"kind": "cd4", "time": "2026-05-01", "value": -1, "unit": "cells/uL"}]}))  # fmt: skip
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#status.error:has-text('observations.0.value')")
    assert "observations.0.value" in page.inner_text("#status")
    # A unit that cannot be converted is no error: the observation is left out, and the page says so.
    page.fill("#scenario", json.dumps({"patient": {"sex": "female"}, "observations": [
        {"kind": "cd4", "time": "2026-05-01", "value": 1, "unit": "mg"}]}))  # fmt: skip
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#results .notes:has-text('cannot be converted for cd4')")


def test_what_was_understood_never_calls_a_no_missing(browser_page: Any) -> None:
    """Regression: a recorded "not pregnant" status and a documented assessment were listed as "Not found in
    the record": the facts say "no" alike for a recorded negative and for nothing recorded."""
    labels = [
        {"name": "hiv", "label": "HIV", "unit": None},
        {"name": "pregnant", "label": "Pregnant", "unit": None},
        {"name": "latest_cd4", "label": "Most recent CD4 count", "unit": "cells/µL"},
    ]
    facts = {"hiv": True, "pregnant": False, "latest_cd4": None}
    html = browser_page.evaluate("([facts, labels]) => renderFacts(facts, labels)", [facts, labels])
    assert "Not found" not in html and "No, or not known (2)" in html
    assert "<li>Pregnant: no</li>" in html and "<li>Most recent CD4 count: not known</li>" in html
    assert "<dt>HIV</dt><dd>yes</dd>" in html


def test_the_time_box_is_for_a_bundle_only(browser_page: Any) -> None:
    """Regression: the box (filled by the FHIR example) overrode a pasted scenario's own evaluation_time."""
    page = browser_page
    scenario = {
        "patient": {"birth_date": "1984-03-02", "sex": "male"},
        "evaluation_time": "2026-07-20T12:00:00Z",
        "conditions": [{"code": "B20", "onset": "2025-11-01"}],
    }
    page.fill("#at", "2026-06-01T09:00:00Z")
    page.fill("#scenario", json.dumps(scenario))
    page.focus("#scenario")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#status:has-text('Evaluated at 2026-07-20')")
    assert "The evaluation time box is for a FHIR Bundle: not used." in page.inner_text("#status")
    page.fill("#at", "")


def test_a_card_link_opens_its_rule_even_when_the_filter_hides_it(browser_page: Any, page_url: str) -> None:
    page = browser_page
    page.goto(f"{page_url}/ui")
    page.wait_for_selector("#rule-thalidomide-pregnancy", state="attached")
    page.fill("#filter", "tuberc")
    assert page.locator("#rule-thalidomide-pregnancy").is_hidden()
    page.evaluate("location.hash = '#rule-thalidomide-pregnancy'")
    page.wait_for_selector("#rule-thalidomide-pregnancy[open]", timeout=10_000)
    assert page.locator("#rule-thalidomide-pregnancy").is_visible()
    assert page.input_value("#filter") == ""
    assert page.evaluate("document.activeElement.closest('details')?.id") == "rule-thalidomide-pregnancy"


def test_detail_markdown_is_escaped(browser_page: Any) -> None:
    source = "**bold** <img src=x onerror=alert(1)> [a](javascript:alert(1)) [b](https://x.org)\n\n- one"
    html = browser_page.evaluate("(text) => markdown(text)", source)
    assert "<strong>bold</strong>" in html and "&lt;img" in html and "<img" not in html
    assert 'href="javascript' not in html and '<a href="https://x.org"' in html
    assert "<ul><li>one</li></ul>" in html


def test_escaped_patient_data_in_the_detail_shows_as_written(browser_page: Any) -> None:
    source = r"- CD4: \<50 cells/µL — thalidomide \[x\](https://evil.example) \*\*urgent\*\* \\ **rule**"
    html = browser_page.evaluate("(text) => markdown(text)", source)
    assert "CD4: &lt;50 cells/µL" in html and "[x](https://evil.example)" in html and "**urgent**" in html
    assert "<a " not in html and "<strong>rule</strong>" in html and "<strong>urgent" not in html
    assert html.count("\\") == 1  # only the escaped backslash is left, shown once


def test_a_card_source_link_opens_its_rule(browser_page: Any, page_url: str) -> None:
    page = browser_page
    page.goto(f"{page_url}/ui#rule-thalidomide-pregnancy")
    page.wait_for_selector("#rule-thalidomide-pregnancy[open]", timeout=10_000)
    assert "label.embryo-fetal" in page.locator("#rule-thalidomide-pregnancy").inner_text()
