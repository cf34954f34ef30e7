"""Running the service under uvicorn (what ``clinrules serve`` calls)."""

from __future__ import annotations

import logging
import resource
from typing import Any

import uvicorn

from service.connections import BACKLOG, SPARE_DESCRIPTORS, GuardedH11Protocol
from service.logging_setup import configure_logging
from service.metrics import multiprocess_directory
from service.settings_check import settings_or_exit

log = logging.getLogger("service.server")


UVICORN_OPTIONS: dict[str, Any] = {
    "factory": True,
    "http": GuardedH11Protocol,
    "backlog": BACKLOG,
    "timeout_keep_alive": 5,
    "access_log": False,
    "log_config": None,
    "server_header": False,
    "proxy_headers": False,
    "h11_max_incomplete_event_size": 16 * 1024,
}
"""How ``clinrules serve`` runs uvicorn (beside host, port and workers): benchmarks serve their baseline
app with the same options, so that the comparison is with the same server."""


def raise_descriptor_limit(wanted: int) -> int:
    """Raise the open-file limit towards ``wanted`` (at most the hard limit); return the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def welcome(host: str, port: int) -> str:
    """The one plain line ``clinrules serve`` prints first: where the page, the API docs and CDS Hooks are."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
    return f"clinrules on {base}/ui · API docs {base}/docs · CDS Hooks {base}/cds-services"


def run(host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    """Serve the app; unset arguments come from settings (embedded defaults 127.0.0.1:8000, 1 worker).

    With several workers, each process loads and compiles the rules once; their metrics are shared through
    the Prometheus client's multiprocess files, so one scrape sees the whole server.
    """
    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.log_rate_per_minute)
    soft = raise_descriptor_limit(settings.max_connections + SPARE_DESCRIPTORS + BACKLOG)
    if soft != resource.RLIM_INFINITY and soft < settings.max_connections + SPARE_DESCRIPTORS + BACKLOG:
        log.warning(
            "the open-file limit is below CLINRULES_MAX_CONNECTIONS plus spare descriptors: fewer are kept",
            extra={"open_file_limit": soft, "max_connections": settings.max_connections},
        )
    if not settings.public_url:
        log.info("CLINRULES_PUBLIC_URL is unset: card links name the address each connection arrived at")
    bind_host = host or settings.host
    bind_port = port if port is not None else settings.port
    print(welcome(bind_host, bind_port), flush=True)  # for people; the JSON logs follow on stderr
    count = workers or settings.workers
    with multiprocess_directory(count):
        uvicorn.run(
            "service.app:create_app", host=bind_host, port=bind_port, workers=count, **UVICORN_OPTIONS
        )
