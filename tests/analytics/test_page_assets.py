"""The analytics page and its vendored Chart.js are served by the service itself, under the page's CSP."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings

CHART_JS_SHA256 = "48444a82d4edcb5bec0f1965faacdde18d9c17db3063d042abada2f705c9f54a"  # vendor/README.md


def test_the_page_and_chart_js_are_served_locally(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}", salt_file=tmp_path / "s", _env_file=None
    )
    with TestClient(create_app(settings)) as client:
        page = client.get("/ui/analytics")
        assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
        assert '<script src="/ui/static/vendor/chart.umd.min.js"' in page.text
        assert "<script>" not in page.text and "style=" not in page.text  # nothing inline
        chart = client.get("/ui/static/vendor/chart.umd.min.js")
        assert chart.status_code == 200 and chart.headers["content-type"].startswith("text/javascript")
        assert hashlib.sha256(chart.content).hexdigest() == CHART_JS_SHA256
        assert "MIT License" in client.get("/ui/static/vendor/chart.js.LICENSE.md").text
        assert client.get("/ui/static/vendor/README.md").status_code == 404
        assert client.get("/ui/static/vendor/..%2Fapp.js").status_code == 404
        empty = client.get("/analytics").json()
        assert empty["rows"] == [] and empty["weeks"] == [] and empty["since"] is None
        csv = client.get("/analytics.csv", params={"since": "2026-11-01"})
        assert csv.headers["content-type"].startswith("text/csv") and csv.text.startswith("week,week_start,")
