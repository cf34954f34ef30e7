"""The web page: the rule catalogue and a playground, at ``/ui``; its static files and JSON API.

Plain HTML, CSS and JavaScript from ``service/static/`` (no build step, nothing fetched from elsewhere, no
inline script or style). The playground posts to ``POST /evaluate`` and shows its facts in the words of
``GET /ui/api/facts``; its form suggests ``GET /ui/api/form-options``. The catalogue is
``GET /ui/api/catalogue``.

Every endpoint here is ``async`` and answers from memory (files are read once), so the page loads even
while the thread pool is busy; only the first build of the catalogue runs in a thread.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from engine.facts import PatientFacts, fact_label, fact_unit
from engine.knowledge import KnowledgeBase
from service.catalogue import FEATURES_DIR, build_catalogue
from service.deps import StateDep

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
MEDIA_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".json": "application/json",
}
CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(tags=["ui"])


@cache
def read_static(path: Path) -> bytes:
    """A static file's bytes (read once; the files ship with the package and do not change)."""
    return path.read_bytes()


@router.get("/ui", include_in_schema=False)
async def page() -> Response:
    """The page itself."""
    return Response(read_static(STATIC_DIR / "index.html"), media_type="text/html", headers=CACHE)


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    """A browser pointed at the service lands on the page."""
    return RedirectResponse("/ui")


@router.get("/ui/", include_in_schema=False)
async def page_slash() -> RedirectResponse:
    """``/ui/`` is ``/ui``."""
    return RedirectResponse("/ui")


@router.get("/ui/static/{name}", include_in_schema=False)
async def static_file(name: str) -> Response:
    """A file of the page (only plain names from ``service/static/``, no sub-paths)."""
    path = STATIC_DIR / name
    if "/" in name or name.startswith(".") or path.suffix not in MEDIA_TYPES or not path.is_file():
        raise HTTPException(status_code=404, detail="no such file")
    return Response(read_static(path), media_type=MEDIA_TYPES[path.suffix], headers=CACHE)


_CATALOGUES: dict[str, dict[str, Any]] = {}


def _catalogue(kb: KnowledgeBase) -> dict[str, Any]:
    """Built once per rule-set version (the features are read at the same time)."""
    if kb.version not in _CATALOGUES:
        _CATALOGUES[kb.version] = build_catalogue(kb, FEATURES_DIR)
    return _CATALOGUES[kb.version]


@router.get("/ui/api/catalogue", summary="The rule catalogue with the scenarios that specify each rule")
async def catalogue(state: StateDep) -> dict[str, Any]:
    """Every rule: texts, statements, evidence, citations, thresholds in force and its Gherkin scenarios."""
    built = _CATALOGUES.get(state.kb.version)
    return built if built is not None else await run_in_threadpool(_catalogue, state.kb)


@router.get("/ui/api/facts", summary="The derived facts, in words, for the playground")
async def facts() -> list[dict[str, Any]]:
    """Each fact ``POST /evaluate`` returns, in order: name, label (the words explanations use), unit."""
    return [{"name": n, "label": fact_label(n), "unit": fact_unit(n)} for n in PatientFacts.model_fields]


@router.get("/ui/api/form-options", summary="Suggestions for the playground's patient form")
async def form_options(state: StateDep) -> dict[str, list[str]]:
    """Medication names the rules recognise (from the value sets), for the form's suggestions."""
    names = {name for codes in state.kb.value_sets.medications.values() for name in codes.text}
    return {"ingredients": sorted(names, key=str.casefold)}


@router.get("/ui/api/examples", summary="Example patient scenarios for the playground")
async def examples() -> list[dict[str, Any]]:
    """Each example: id, label, optional evaluation time ``at`` and the scenario (project JSON or FHIR)."""
    out = []
    for path in sorted((STATIC_DIR / "examples").glob("*.json")):
        data = json.loads(read_static(path))
        out.append(
            {"id": path.stem, "label": data["label"], "at": data.get("at"), "scenario": data["scenario"]}
        )
    return out
