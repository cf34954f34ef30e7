"""The floor ``server_ratio.py`` compares the service with: one ``async`` FastAPI route that reads the body.

Served by uvicorn with the service's own options (``service.server.UVICORN_OPTIONS``), so the two differ
only in what the application does.
"""

from __future__ import annotations

from fastapi import FastAPI, Request


def create_app() -> FastAPI:
    """An app with one ``POST /{path}`` route: read the whole body, answer ``{}``."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.post("/{path:path}")
    async def empty(request: Request) -> dict[str, str]:
        await request.body()
        return {}

    return app
