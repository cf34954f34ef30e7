"""The interactive API documentation at ``/docs``, served entirely by the service (it works offline).

Swagger UI's assets come from the pinned ``swagger-ui-bundle-v2`` package; the page and its start-up script
are files of ``service/static/`` (no inline script, so a strict Content-Security-Policy can apply).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from swagger_ui_bundle import swagger_ui_path

from service.routes.ui import STATIC_DIR

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
"""The Swagger UI files the page uses (nothing else of the bundle is served)."""
CACHE = {"Cache-Control": "public, max-age=86400"}
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs_page() -> FileResponse:
    """Swagger UI for ``/openapi.json``."""
    return FileResponse(STATIC_DIR / "docs.html", media_type="text/html", headers=NO_CACHE)


@router.get("/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    """One of Swagger UI's own files."""
    if name not in ASSETS:
        raise HTTPException(status_code=404, detail="no such file")
    return FileResponse(str(swagger_ui_path / name), media_type=ASSETS[name], headers=CACHE)
