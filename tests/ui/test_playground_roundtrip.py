"""The playground's form in Chromium: viral load and eGFR rows, written to the JSON and understood."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from engine.facts import fact_label
from tests.suites.server import live_service
from tests.ui.test_page import ARGS, CHROMIUM, _require


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    sync_playwright = _require()
    with live_service(tmp_path_factory.mktemp("roundtrip")) as url, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium, url
        chromium.close()


@pytest.fixture()
def page(browser: tuple[Any, str]) -> Iterator[Any]:
    """A fresh playground, with the form set up."""
    chromium, url = browser
    tab = chromium.new_page(viewport={"width": 1366, "height": 1000}, locale="en-US")
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.extend([msg.text] if "Content Security Policy" in msg.text else []))
    tab.goto(f"{url}/ui")
    tab.wait_for_selector("#ingredients option", state="attached")
    yield tab
    tab.close()
    assert errors == [], errors


def test_viral_load_and_egfr_entered_with_the_form_are_written_and_understood(page: Any) -> None:
    page.fill("#f-today", "2026-06-01")
    page.focus("#f-age")
    page.keyboard.type("50")
    page.select_option("#f-sex", "female")
    page.click("#add-vl")  # the new row's first field has the focus
    page.keyboard.type("150000")
    page.keyboard.press("Tab")
    page.keyboard.type("01102026")
    page.click("#add-vl")
    page.keyboard.type("20")
    page.keyboard.press("Tab")
    page.keyboard.type("05202026")
    page.get_by_label("Below the detection limit").nth(1).check()
    page.click("#add-egfr")
    page.keyboard.type("25")
    page.keyboard.press("Tab")
    page.keyboard.type("05302026")
    page.click("#add-condition")
    page.keyboard.type("POEMS syndrome")
    page.keyboard.press("Tab")
    observations = json.loads(page.input_value("#scenario"))["observations"]
    assert observations == [
        {"kind": "viral-load", "time": "2026-01-10", "value": 150000, "unit": "copies/mL"},
        {"kind": "viral-load", "time": "2026-05-20", "value": 20, "unit": "copies/mL", "comparator": "<"},
        {"kind": "egfr", "time": "2026-05-30", "value": 25, "unit": "mL/min/1.73m2"},
    ]
    labels = page.locator("#vl-rows label, #egfr-rows label").all_inner_texts()
    assert "Below the detection limit (the value is the limit)" in labels
    assert "eGFR (mL/min/1.73 m²)" in labels
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('#playground input, #playground select, #playground textarea')]
            .filter((el) => el.labels.length === 0).map((el) => el.id)"""
    )
    assert unlabelled == []

    page.click("#evaluate")
    page.wait_for_selector('#results article.card[data-topic="poems-thalidomide"]')  # eGFR 25 < 30
    facts = page.locator("#facts")
    assert facts.locator('[data-fact="latest_egfr"] dd').inner_text() == "25 mL/min/1.73m²"
    assert fact_label("latest_egfr") in facts.inner_text()
    assert facts.locator('[data-fact="hiv"] dd').inner_text() == "yes"  # from the detectable viral load alone

    # a removed row gives the focus to its own "Add" button, and leaves the JSON
    page.locator("#vl-rows .row-item").first.locator("button.remove").click()
    assert page.evaluate("document.activeElement.id") == "add-vl"
    kinds = [o["kind"] for o in json.loads(page.input_value("#scenario"))["observations"]]
    assert kinds == ["viral-load", "egfr"]
