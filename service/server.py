"""Running the service under uvicorn (what ``clinrules serve`` calls)."""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.logging_setup import configure_logging
from service.metrics import multiprocess_directory
from service.settings import get_settings


class NoDelayH11Protocol(H11Protocol):
    """h11 with TCP_NODELAY on every connection.

    With ``workers > 1`` uvicorn binds the socket itself (``socket.socket(family)``, proto 0), and asyncio
    only sets TCP_NODELAY when ``sock.proto == IPPROTO_TCP``; the response's head and body go out as two
    writes and the second waits for the client's delayed ACK: +40 ms on every keep-alive request.
    """

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def run(host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    """Serve the app; unset arguments come from settings (embedded defaults 127.0.0.1:8000, 1 worker).

    With several workers, each process loads and compiles the rules once; their metrics are shared through
    the Prometheus client's multiprocess files, so one scrape sees the whole server.
    """
    settings = get_settings()
    configure_logging(settings.log_level)
    count = workers or settings.workers
    with multiprocess_directory(count):
        uvicorn.run(
            "service.app:create_app",
            factory=True,
            http=NoDelayH11Protocol,
            host=host or settings.host,
            port=port if port is not None else settings.port,
            workers=count,
            access_log=False,
            log_config=None,
            server_header=False,
            proxy_headers=False,
        )
