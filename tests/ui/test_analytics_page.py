"""The analytics page in Chromium on a seeded audit database: the numbers shown are those counted by hand
(tests/analytics/seed.py), the charts are drawn by the served Chart.js, and the page's CSP blocks nothing.

A screenshot is saved as reports/analytics.png for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.analytics.seed import SINCE, expected_rows, rules_dir, seed
from tests.suites.server import live_service
from tests.ui.test_page import ARGS, CHROMIUM, _require

REPORTS = Path(__file__).resolve().parents[2] / "reports"


@pytest.fixture(scope="module")
def seeded_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    sync_playwright = _require()
    tmp = tmp_path_factory.mktemp("analytics")
    rules = rules_dir(tmp)
    now = seed(f"sqlite:///{tmp / 'audit.db'}", rules)
    with live_service(tmp, rules_dir=rules) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 1400})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        csp = "Content Security Policy"
        page.on("console", lambda msg: errors.extend([msg.text] if csp in msg.text else []))
        page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
        page.goto(f"{url}/ui/analytics?since={SINCE.isoformat()}")
        page.wait_for_selector("#rows tbody tr")
        yield page, now
        assert errors == [], errors
        browser.close()


def _shown(page: Any) -> list[dict[str, str]]:
    rows = page.locator("#rows tbody tr")
    out = []
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        out.append(
            {
                cells.nth(j).get_attribute("data-column"): cells.nth(j).inner_text()
                for j in range(cells.count())
            }
        )
    return out


def test_the_table_shows_the_counts_made_by_hand(seeded_page: tuple[Any, str]) -> None:
    page, now = seeded_page
    shown = _shown(page)
    expected = expected_rows(now)
    assert len(shown) == len(expected)
    for row, want in zip(shown, expected, strict=True):
        assert (row["week"], row["ruleset_version"], row["status"]) == (
            want["week"], want["ruleset_version"], want["status"],
        )  # fmt: skip
        assert row["topic"].startswith(f"{want['topic']} — Test rule")
        for key in ("evaluations", "firings", "cards", "accepted", "overridden"):
            assert int(row[key]) == want[key], (key, row)
        shadow = want["shadow_firings"]
        assert row["shadow_firings"].split(" ")[0] == (str(shadow) if shadow else "–")
        reasons = dict(part.rsplit(": ", 1) for part in row["override_reasons"].split("; ") if part)
        assert {k: int(v) for k, v in reasons.items()} == want["override_reasons"]
    w48 = next(r for r in shown if r["week"] == "2026-W48" and r["topic"].startswith("low-cd4 "))
    assert w48["firing_rate"] == "60.0%"
    assert "10 evaluations in 3 weeks since 2026-11-16" in page.inner_text("#status")


def test_the_charts_are_drawn_from_the_same_numbers(seeded_page: tuple[Any, str]) -> None:
    page, _ = seeded_page
    rate = page.evaluate(
        "(() => { const c = Chart.getChart('rate-chart');"
        " return {labels: c.data.labels, sets: c.data.datasets.map(d => [d.label, d.data])}; })()"
    )
    assert rate["labels"] == ["2026-W47", "2026-W48", "2026-W49"]
    assert dict(rate["sets"]) == {"low-cd4": [66.7, 60, 0], "pregnant-thal": [33.3, 20, 50]}
    shadow = page.evaluate("Chart.getChart('shadow-chart').data.datasets.map(d => [d.label, d.data])")
    assert dict(shadow) == {"low-cd4-200": [0, 3, 1]}
    feedback = page.evaluate("Chart.getChart('feedback-chart').data.datasets.map(d => [d.label, d.data])")
    assert page.evaluate("Chart.getChart('feedback-chart').data.labels") == ["low-cd4", "pregnant-thal"]
    assert dict(feedback) == {"accepted": [0, 1], "overridden": [4, 0], "no feedback": [0, 0]}
    for canvas in ("rate-chart", "feedback-chart", "shadow-chart", "reasons-chart"):
        box = page.locator(f"#{canvas}").bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
    REPORTS.mkdir(exist_ok=True)
    page.screenshot(path=str(REPORTS / "analytics.png"), full_page=True)


def test_no_two_series_look_alike(seeded_page: tuple[Any, str]) -> None:
    """Regression: 13 active rules and 12 colours drew two rules' lines in the same colour."""
    page, _ = seeded_page
    looks = page.evaluate(
        "[...Array(40).keys()].map(i => { const d = dataset('x', [], i);"
        " return [d.borderColor, JSON.stringify(d.borderDash), d.pointStyle]; })"
    )
    assert len({tuple(look) for look in looks}) == 40


def test_changing_the_first_day_reloads_the_numbers(seeded_page: tuple[Any, str]) -> None:
    page, now = seeded_page
    page.fill("#since", "")
    page.click("#show")
    page.wait_for_selector('#rows tbody tr[data-week="2026-W45"]')
    assert len(_shown(page)) == len(expected_rows(now, since=False))
    assert page.get_attribute("#csv", "href") == "/analytics.csv"
