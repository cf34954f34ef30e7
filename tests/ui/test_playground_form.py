"""The playground as a clinician uses it, in Chromium: a patient entered with the form, cards read.

Screenshots are saved under reports/ (playground-form.png, playground-cards.png) for a person to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.facts import fact_label
from tests.suites.server import live_service
from tests.ui.test_page import ARGS, CHROMIUM, _require

REPORTS = Path(__file__).resolve().parents[2] / "reports"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    sync_playwright = _require()
    with live_service(tmp_path_factory.mktemp("form")) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1366, "height": 1000}, locale="en-US")
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.goto(f"{url}/ui")
        tab.wait_for_selector("#ingredients option", state="attached")
        yield tab
        assert errors == [], errors
        browser.close()


def _type(page: Any, selector: str, text: str) -> None:
    page.focus(selector)
    page.keyboard.type(text)


def test_a_patient_entered_with_the_form_is_understood_and_warned(page: Any) -> None:
    page.fill("#f-today", "2026-06-01")
    _type(page, "#f-age", "38")
    page.select_option("#f-sex", "male")
    page.check("#f-hiv")
    page.fill("#f-hiv-date", "2025-11-01")
    page.click("#add-cd4")  # the new row's first field has the focus
    page.keyboard.type("42")
    page.keyboard.press("Tab")
    page.keyboard.type("05202026")  # a date typed as a person does (mm/dd/yyyy: the page is opened in en-US)
    page.click("#add-med")
    page.keyboard.type("dolutegravir")
    page.click("#add-condition")
    page.keyboard.type("Pulmonary tuberculosis")
    page.keyboard.press("Tab")  # leaving the name fills its code
    scenario = json.loads(page.input_value("#scenario"))
    assert scenario["patient"] == {"birth_date": "1987-12-01", "sex": "male"}
    assert scenario["evaluation_time"] == "2026-06-01T12:00:00Z"
    assert {"kind": "cd4", "time": "2026-05-20", "value": 42, "unit": "cells/uL"} in scenario["observations"]
    assert scenario["medications"] == [{"ingredient": "dolutegravir", "status": "draft", "draft": True}]
    assert {"status": "active", "code": "A15.0", "text": "Pulmonary tuberculosis"} in scenario["conditions"]
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('#playground input, #playground select, #playground textarea')]
            .filter((el) => el.labels.length === 0).map((el) => el.id)"""
    )
    assert unlabelled == []
    REPORTS.mkdir(exist_ok=True)
    page.locator(".workbench").screenshot(path=str(REPORTS / "playground-form.png"))

    page.focus("#f-age")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector('#results article.card[data-topic="iris-risk"]')
    card = page.locator('#results article.card[data-topic="iris-risk"]')
    text = card.inner_text()
    # the advice is open, "why it fired" shown once, with the evidence note and the override reasons
    assert card.locator("details").count() == 0
    assert "Look for opportunistic infections" in text
    assert text.count("Why it fired") == 1 and "Why this fired" not in text
    assert "42 cells/µL on 2026-05-20" in text
    assert "Evidence: moderate" in text and "Müller 2010" in text
    understood = page.locator("#understood")
    assert understood.is_visible()
    facts = {
        understood.locator("dt").nth(i).inner_text(): understood.locator("dd").nth(i).inner_text()
        for i in range(understood.locator("dt").count())
    }
    assert facts["Age"] == "38 years"
    assert facts[fact_label("hiv")] == "yes"
    assert facts[fact_label("baseline_cd4")] == "42 cells/µL"
    assert facts[fact_label("art_starting_now")] == "yes"
    assert facts[fact_label("active_tb")] == "yes"
    assert "Pregnant" not in facts
    page.locator(".outcome").screenshot(path=str(REPORTS / "playground-cards.png"))


def test_json_edited_by_hand_is_not_overwritten_by_the_form(page: Any) -> None:
    page.fill("#scenario", '{"patient": {"sex": "female"}}')
    page.fill("#f-age", "51")
    assert page.input_value("#scenario") == '{"patient": {"sex": "female"}}'
    assert "no longer writes it" in page.inner_text("#status")
    page.click("#form-to-json")
    assert json.loads(page.input_value("#scenario"))["patient"]["sex"] == "male"
    assert page.locator("#form-to-json").is_hidden()


def test_override_reasons_and_a_removed_row(page: Any) -> None:
    page.fill("#f-today", "2026-06-01")
    page.select_option("#f-sex", "female")
    page.fill("#f-age", "29")
    page.select_option("#f-pregnancy", "pregnant")
    page.fill("#f-pregnancy-date", "2026-05-30")
    page.click("#add-med")
    page.keyboard.type("thalidomide")
    rows = page.locator("#med-rows .row-item")
    rows.first.locator("button.remove").click()  # dolutegravir of the previous test
    medications = json.loads(page.input_value("#scenario"))["medications"]
    assert [m["ingredient"] for m in medications] == ["thalidomide"]
    page.click("#evaluate")
    page.wait_for_selector('#results article.card[data-topic="thalidomide-pregnancy"]')
    card = page.locator('#results article.card[data-topic="thalidomide-pregnancy"]')
    assert "critical" in (card.get_attribute("class") or "")
    text = card.inner_text()
    assert "Reasons to override" in text and "Patient is not pregnant" in text
    assert "Suggested action" in text and "Cancel the thalidomide-class draft order" in text
    assert page.locator("#understood dd").all_inner_texts().count("yes") >= 2
    # nothing inline, so the page works under a strict Content-Security-Policy
    inline = page.evaluate(
        """() => [
            [...document.querySelectorAll('[style]')].filter((e) => e.getAttribute('style').trim()).length,
            [...document.scripts].filter((s) => !s.src).length,
            document.querySelectorAll('style').length,
        ]"""
    )
    assert inline == [0, 0, 0]
