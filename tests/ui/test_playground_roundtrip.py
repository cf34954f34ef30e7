"""The playground's form and its JSON both ways, in Chromium: viral load and eGFR rows, and "Read the JSON
into the form", which fills the form only when the form can show everything the JSON holds.

**Equivalent scenarios** (what the round trip promises): both are read by the service's own model
(``Scenario``: units made canonical, times made instants, defaults filled in) and then agree on every member
and value, except for what the form normalises on purpose:

- ``evaluation_time`` only by its UTC day: the form evaluates at noon UTC of its "Evaluate as of" day (and
  at today's noon when the JSON gave no time);
- a medication's ``draft`` flag as "being ordered now" (the flag or the status ``draft``): the form writes
  both;
- the order of the entries of ``observations``, ``conditions`` and ``medications``: the form groups them by
  field (entries of one kind keep their order);
- a time at midnight UTC as its date: the form's date boxes hold days, and at the form's UTC evaluation time
  the two count the same calendar day.

Key order and layout of the JSON do not matter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.facts import fact_label
from engine.scenario import Scenario
from tests.suites.server import live_service
from tests.ui.roundtrip_cases import DECLINED, EVERYTHING, EXAMPLES, NATIVE_EXAMPLES
from tests.ui.test_page import ARGS, CHROMIUM, _require


def _canonical(scenario: dict[str, Any]) -> dict[str, Any]:
    """``scenario`` as the service reads it, with the form's normalisations (see the module's docstring)."""
    model = Scenario.model_validate(scenario)
    data = model.model_dump(mode="json")
    when = model.evaluation_time or datetime.now(UTC)
    data["evaluation_time"] = when.date().isoformat()
    for medication in data["medications"]:
        medication["draft"] = medication["draft"] or medication["status"] == "draft"
    for key in ("observations", "conditions", "medications"):
        for entry in data[key]:
            for name, value in entry.items():
                if isinstance(value, str) and value.endswith("T00:00:00Z"):
                    entry[name] = value.removesuffix("T00:00:00Z")
        data[key] = sorted(data[key], key=lambda entry: json.dumps(entry, sort_keys=True))
    return data


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    sync_playwright = _require()
    with live_service(tmp_path_factory.mktemp("roundtrip")) as url, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium, url
        chromium.close()


@pytest.fixture()
def page(browser: tuple[Any, str]) -> Iterator[Any]:
    """A fresh playground, with the form set up and the examples loaded."""
    chromium, url = browser
    tab = chromium.new_page(viewport={"width": 1366, "height": 1000}, locale="en-US")
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.extend([msg.text] if "Content Security Policy" in msg.text else []))
    tab.goto(f"{url}/ui")
    tab.wait_for_selector("#ingredients option", state="attached")
    tab.wait_for_selector('button[data-example="iris-risk"]')
    yield tab
    tab.close()
    assert errors == [], errors


def _read(page: Any, scenario: Any) -> None:
    """Put ``scenario`` (or a text) in the JSON box and press "Read the JSON into the form"."""
    page.fill("#scenario", scenario if isinstance(scenario, str) else json.dumps(scenario, indent=1))
    page.click("#json-to-form")


def _form_writes(page: Any) -> dict[str, Any]:
    """What the form writes after a change in it (the form owns the JSON again once it has read it)."""
    page.dispatch_event("#f-sex", "change")
    written: dict[str, Any] = json.loads(page.input_value("#scenario"))
    return written


def _form_state(page: Any) -> list[Any]:
    """Every field of the form, rows included: [id or label, value or checked]."""
    state: list[Any] = page.evaluate(
        """() => [...document.querySelectorAll('#patient-form input, #patient-form select')].map((el) => [
            el.labels[0] ? el.labels[0].textContent : el.id,
            el.type === 'checkbox' ? el.checked : el.value])"""
    )
    return state


def _add_result(page: Any, button: str, value: str, day: str) -> None:
    """Add a result row and type its value and date as a person does (the new row's first field has the
    focus; the date as mm/dd/yyyy, the page being opened in en-US)."""
    page.click(button)
    page.keyboard.type(value)
    page.keyboard.press("Tab")
    page.keyboard.type(day)


def test_viral_load_and_egfr_entered_with_the_form_are_written_and_understood(page: Any) -> None:
    page.fill("#f-today", "2026-06-01")
    page.focus("#f-age")
    page.keyboard.type("50")
    page.select_option("#f-sex", "female")
    _add_result(page, "#add-vl", "150000", "01102026")
    _add_result(page, "#add-vl", "20", "05202026")
    page.get_by_label("Below the detection limit").nth(1).check()
    _add_result(page, "#add-egfr", "25", "05302026")
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
    page.wait_for_selector('#results article.card[data-topic="poems-thalidomide"]')  # at 50: for the eGFR
    card = page.locator('#results article.card[data-topic="poems-thalidomide"]').inner_text()
    assert "25 mL/min/1.73m² on 2026-05-30" in card
    facts = page.locator("#facts")
    assert facts.locator('[data-fact="latest_egfr"] dd').inner_text() == "25 mL/min/1.73m²"
    assert fact_label("latest_egfr") in facts.inner_text()
    assert facts.locator('[data-fact="hiv"] dd').inner_text() == "yes"  # from the detectable viral load alone

    # a removed row gives the focus to its own "Add" button, and leaves the JSON
    page.locator("#vl-rows .row-item").first.locator("button.remove").click()
    assert page.evaluate("document.activeElement.id") == "add-vl"
    kinds = [o["kind"] for o in json.loads(page.input_value("#scenario"))["observations"]]
    assert kinds == ["viral-load", "egfr"]


def test_an_egfr_above_the_reporting_limit_is_written_with_its_comparator(page: Any) -> None:
    page.fill("#f-today", "2026-06-01")
    page.fill("#f-age", "50")
    page.click("#add-cd4")
    assert page.locator("#cd4-rows input[type=checkbox]").count() == 0  # a CD4 count is recorded as it is
    _add_result(page, "#add-egfr", "90", "05302026")
    box = page.get_by_label("Above the reporting limit (the value is the limit)")
    box.check()
    egfr = {"kind": "egfr", "time": "2026-05-30", "value": 90, "unit": "mL/min/1.73m2"}
    assert json.loads(page.input_value("#scenario"))["observations"] == [{**egfr, "comparator": ">"}]
    box.uncheck()
    assert json.loads(page.input_value("#scenario"))["observations"] == [egfr]
    box.check()
    page.click("#add-condition")
    page.keyboard.type("POEMS syndrome")
    page.keyboard.press("Tab")
    page.click("#evaluate")
    page.wait_for_selector("#understood", state="visible")
    # counted as just above 90, never "eGFR below 30": at 50, no card (an eGFR of 25 gives one, as above)
    assert page.locator('#results article.card[data-topic="poems-thalidomide"]').count() == 0
    assert page.locator('#facts [data-fact="latest_egfr"]').is_visible()


@pytest.mark.parametrize("name", NATIVE_EXAMPLES)
def test_each_native_example_reads_into_the_form_and_back(page: Any, name: str) -> None:
    example = json.loads((EXAMPLES / f"{name}.json").read_text())["scenario"]
    page.click(f'button[data-example="{name}"]')  # loading an example fills the form
    status = page.inner_text("#status")
    assert "Example loaded" in status and "The form now shows" in status and "noon UTC" in status
    assert page.evaluate("document.activeElement.id") == "scenario"
    assert page.input_value("#f-birth") == example["patient"]["birth_date"]
    assert json.loads(page.input_value("#scenario")) == example  # reading leaves the JSON as it was
    assert _canonical(_form_writes(page)) == _canonical(example)
    # and the button does the same from JSON typed in the box
    page.click('button[data-example="fhir-bundle"]')
    _read(page, example)
    assert "The form now shows" in page.inner_text("#status")
    assert _canonical(_form_writes(page)) == _canonical(example)


def test_every_field_filled_reads_into_the_form_and_back(page: Any) -> None:
    _read(page, EVERYTHING)
    assert "The form now shows" in page.inner_text("#status")
    assert page.input_value("#f-age") == "36"
    assert page.is_checked("#f-hiv") and page.input_value("#f-hiv-date") == "2025-11-01"
    assert page.locator("#vl-rows .row-item").count() == 2
    assert page.locator("#vl-rows input[type=checkbox]").nth(1).is_checked()
    assert page.locator("#egfr-rows .row-item").count() == 3
    above = page.locator("#egfr-rows input[type=checkbox]")  # ticked for the ">" 90 only
    assert [above.nth(i).is_checked() for i in range(3)] == [False, False, True]
    assert page.locator("#condition-rows .row-item").count() == 4
    assert page.locator("#med-rows .row-item").count() == 4
    written = _form_writes(page)
    assert _canonical(written) == _canonical(EVERYTHING)
    # what the form wrote reads back into the same form
    before = _form_state(page)
    _read(page, written)
    assert _form_state(page) == before
    # and with no evaluation time the form evaluates as of today
    _read(page, {k: v for k, v in EVERYTHING.items() if k != "evaluation_time"} | {"observations": []})
    assert "as of today" in page.inner_text("#status")
    assert page.input_value("#f-today") == datetime.now(UTC).date().isoformat()


def test_a_transplant_candidate_is_recorded_with_the_form(page: Any) -> None:
    """Regression: the form recorded transplant ineligibility only as a ticked box, so "a transplant
    candidate" (which stops the POEMS proposal whatever the age) could not be said with it."""
    scenario = {
        "evaluation_time": "2026-06-01T12:00:00Z",
        "patient": {"birth_date": "1956-01-01", "sex": "male"},
        "observations": [{"kind": "transplant-ineligible", "time": "2026-06-01", "value": False}],
        "conditions": [{"text": "POEMS syndrome", "onset": "2026-01-10"}],
    }
    _read(page, scenario)
    assert "The form now shows" in page.inner_text("#status")
    assert page.input_value("#f-transplant") == "no"
    assert _canonical(_form_writes(page)) == _canonical(scenario)
    page.click("#evaluate")
    page.wait_for_selector("#understood", state="visible")
    assert page.locator('#results article.card[data-topic="poems-thalidomide"]').count() == 0
    page.select_option("#f-transplant", "yes")  # not a candidate, at 70: thalidomide is proposed
    page.click("#evaluate")
    page.wait_for_selector('#results article.card[data-topic="poems-thalidomide"]')


def test_json_the_form_cannot_show_leaves_form_and_json_alone(page: Any) -> None:
    page.click('button[data-example="iris-risk"]')
    page.click("#add-egfr")  # the form also holds what no example has
    page.keyboard.type("61")
    form = _form_state(page)
    for scenario, named in DECLINED:
        text = scenario if isinstance(scenario, str) else json.dumps(scenario, indent=1)
        _read(page, text)
        status = page.inner_text("#status")
        assert all(name in status for name in named), (named, status)
        assert "left as it was" in status
        assert page.input_value("#scenario") == text
        assert _form_state(page) == form
    # a JSON the form cannot show is not overwritten by the next change in the form either
    page.fill("#f-age", "51")
    assert page.input_value("#scenario") == "[1, 2]"


def test_the_bundle_example_leaves_the_form_alone_and_the_button_is_keyboard_reachable(page: Any) -> None:
    page.fill("#f-age", "33")
    form = _form_state(page)
    page.click('button[data-example="fhir-bundle"]')
    status = page.inner_text("#status")
    assert "FHIR Bundle, which the form does not show" in status and "Ctrl+Enter" in status
    assert "error" not in (page.get_attribute("#status", "class") or "")
    assert _form_state(page) == form
    example = json.loads((EXAMPLES / "thalidomide-pregnancy.json").read_text())["scenario"]
    page.fill("#scenario", json.dumps(example))
    page.focus("#scenario")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "json-to-form"
    page.keyboard.press("Enter")
    assert page.input_value("#f-pregnancy") == "pregnant"
    assert page.locator("#med-rows input").first.input_value() == "thalidomide"
    # an eGFR's "above the reporting limit" box: Tab past the date's calendar button, then Space ticks it
    _add_result(page, "#add-egfr", "90", "05302026")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.labels[0].textContent")
    assert focused == "Above the reporting limit (the value is the limit)"
    page.keyboard.press("Space")
    egfr = {"kind": "egfr", "time": "2026-05-30", "value": 90, "unit": "mL/min/1.73m2", "comparator": ">"}
    assert json.loads(page.input_value("#scenario"))["observations"][-1] == egfr
