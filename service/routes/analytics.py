"""Alert analytics: ``GET /analytics`` (JSON), ``GET /analytics.csv``, and the page at ``/ui/analytics``.

The numbers are those of ``clinrules report`` (service.analytics): per ISO week, rule-set version and rule
(topic). They hold no patient data. The page's charts are drawn by Chart.js, served from
``service/static/vendor/`` like every other asset of the page (nothing is fetched from elsewhere).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from service.analytics.render import to_csv
from service.analytics.report import AnalyticsReport, build_report
from service.deps import StateDep
from service.problems import problem_responses
from service.routes.ui import STATIC_DIR, read_static

VENDOR_DIR = Path(__file__).resolve().parents[1] / "static" / "vendor"
VENDOR_FILES = {"chart.umd.min.js": "text/javascript", "chart.js.LICENSE.md": "text/markdown"}
CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(tags=["analytics"])
Since = Annotated[
    date | None, Query(description="First day counted (UTC, YYYY-MM-DD); default: the whole audit.")
]


@router.get(
    "/analytics",
    response_model=AnalyticsReport,
    summary="Alert analytics per rule, rule-set version and ISO week",
    responses=problem_responses(422),
)
def analytics(state: StateDep, since: Since = None) -> AnalyticsReport:
    """Evaluations, firings and firing rate of each rule, how often each shadow rule would have fired,
    CDS Hooks cards issued, accepted and overridden, and each override reason, per ISO week (UTC) and
    rule-set version. Feedback counts in the week of the evaluation that issued the card."""
    return build_report(state.engine, state.kb, since)


@router.get(
    "/analytics.csv",
    summary="Alert analytics as CSV (one line per week, rule-set version and rule)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV"}, **problem_responses(422)},
)
def analytics_csv(state: StateDep, since: Since = None) -> Response:
    """The numbers of ``GET /analytics`` as CSV, one ``override:<reason>`` column per override reason."""
    body = to_csv(build_report(state.engine, state.kb, since))
    disposition = {"Content-Disposition": 'attachment; filename="clinrules-analytics.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=disposition)


@router.get("/ui/analytics", include_in_schema=False)
async def analytics_page() -> Response:
    """The analytics page."""
    return Response(read_static(STATIC_DIR / "analytics.html"), media_type="text/html", headers=CACHE)


@router.get("/ui/static/vendor/{name}", include_in_schema=False)
async def vendor_file(name: str) -> Response:
    """A third-party asset shipped with the package (only the files listed in VENDOR_FILES)."""
    if name not in VENDOR_FILES:
        raise HTTPException(status_code=404, detail="no such file")
    return Response(read_static(VENDOR_DIR / name), media_type=VENDOR_FILES[name], headers=CACHE)
