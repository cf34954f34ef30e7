"""Running the service under uvicorn (what ``clinrules serve`` calls)."""

from __future__ import annotations

import uvicorn

from service.logging_setup import configure_logging
from service.settings import get_settings


def run(host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    """Serve the app; unset arguments come from settings (embedded defaults 127.0.0.1:8000, 1 worker).

    With several workers, each process loads and compiles the rules once and keeps its own metrics.
    """
    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port if port is not None else settings.port,
        workers=workers or settings.workers,
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=False,
    )
