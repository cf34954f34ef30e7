"""The HTTP connection protocol of ``clinrules serve``: uvicorn's h11, guarded against slow and idle clients.

uvicorn has no time limit on reading a request's headers, so a client that sends them a byte at a time
(slowloris) holds a connection for ever; a thousand such clients exhaust file descriptors. Here each
connection must deliver a request's headers within ``header_timeout_seconds`` of connecting (or of its
previous answer, on a kept-alive connection), and a worker keeps at most ``max_connections`` open: at the
limit, the connection that has waited longest without completing its headers is closed to make room, so a
well-behaved client (an EHR, a health probe) still gets in.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
from functools import cache
from typing import Any, ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol

from service.settings import get_settings

log = logging.getLogger("service.connections")


# Descriptors a worker needs beside its client connections: database, logs, listening socket, FHIR fetches.
SPARE_DESCRIPTORS = 256
# The listen queue, and so the most connections asyncio accepts in one burst before the cap can shed any:
# the cap leaves room for a whole burst, or a flood of connects runs the worker out of descriptors and
# asyncio stops accepting (the health probe too) for a second at a time.
BACKLOG = 256


@cache
def limits() -> tuple[float, int]:
    """(header timeout in seconds, most open connections) of this worker, read once.

    The connection cap is the setting, lowered if the open-file limit leaves no room for it: running out
    of descriptors stops the server accepting anyone, the health probe included.
    """
    settings = get_settings()
    most = settings.max_connections
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY:
        most = min(most, max(16, soft - SPARE_DESCRIPTORS - BACKLOG))
    return settings.header_timeout_seconds, most


class GuardedH11Protocol(H11Protocol):
    """h11 with a header-read deadline, a connection cap that sheds the slowest, and TCP_NODELAY.

    TCP_NODELAY: with ``workers > 1`` uvicorn binds the socket itself (``socket.socket(family)``, proto 0),
    and asyncio only sets it when ``sock.proto == IPPROTO_TCP``; the response's head and body go out as two
    writes and the second waits for the client's delayed ACK: +40 ms on every keep-alive request.
    """

    header_deadline: asyncio.TimerHandle | None = None
    # The connections of this worker now waiting for request headers, longest-waiting first (dicts keep
    # insertion order), so the one to shed is found at once even with thousands open.
    waiting: ClassVar[dict[GuardedH11Protocol, None]] = {}

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        timeout, most = limits()
        if len(self.connections) >= most and not self._shed_slowest():
            log.warning("connection refused: too many open connections", extra={"limit": most})
            transport.abort()
            return
        super().connection_made(transport)
        self._await_headers(timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_done()
        if self.transport is not None:
            super().connection_lost(exc)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request's headers are complete: its cycle has started
            self._headers_done()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._await_headers(limits()[0])

    def _await_headers(self, timeout: float) -> None:
        self._headers_done()
        self.waiting[self] = None
        self.header_deadline = self.loop.call_later(timeout, self._headers_too_slow)

    def _headers_done(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
        self.header_deadline = None
        self.waiting.pop(self, None)

    def _headers_too_slow(self) -> None:
        self._headers_done()
        log.info("connection closed: request headers not received in time")
        if not self.transport.is_closing():
            self.transport.abort()

    def _shed_slowest(self) -> bool:
        """Close the connection that has waited longest for its request headers; False if none waits."""
        slowest = next(iter(self.waiting), None)
        if slowest is None:
            return False
        log.info("connection closed to make room: request headers still incomplete")
        slowest._headers_done()
        slowest.transport.abort()
        self.connections.discard(slowest)
        return True
