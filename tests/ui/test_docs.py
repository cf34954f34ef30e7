"""``/docs`` renders in Chromium with every request outside 127.0.0.1 refused (as on a machine offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.suites.server import live_service
from tests.ui.test_page import ARGS, CHROMIUM, _require

REPORTS = Path(__file__).resolve().parents[2] / "reports"


def test_api_docs_render_offline(tmp_path: Path) -> None:
    sync_playwright = _require()
    outside: list[str] = []

    def only_loopback(route: Any) -> None:
        url = route.request.url
        if url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with live_service(tmp_path) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", only_loopback)
        page.goto(f"{url}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/evaluate" in paths and any(p.startswith("/cds-services") for p in paths)
        REPORTS.mkdir(exist_ok=True)
        page.screenshot(path=str(REPORTS / "api-docs.png"))
        browser.close()
    assert outside == []
