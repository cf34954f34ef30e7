"""No test sends traffic beyond 127.0.0.1: every test fails if this process tried to.

An autouse fixture (registered in ``tests/conftest.py``) watches Python's sockets: a TCP connection to
an address that is not loopback, or a DNS look-up of a name other than ``localhost``, is refused on the
spot (as a network error, so the code under test takes its ordinary failure path) and recorded, and the
test then fails naming it. Tests that simulate DNS patch ``socket.getaddrinfo`` themselves.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def _is_local(host: Any) -> bool:
    if host is None:
        return True  # a passive look-up (a server binding to a port)
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower().rstrip(".") in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


@pytest.fixture(autouse=True)
def no_traffic_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse and record any outbound connection or DNS look-up; fail the test if there was one."""
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def outside(sock: socket.socket, address: Any) -> bool:
        inet = sock.family in (socket.AF_INET, socket.AF_INET6)
        return inet and isinstance(address, tuple) and not _is_local(address[0])

    def connect(sock: socket.socket, address: Any) -> None:
        if outside(sock, address):
            attempts.append(f"connect {address!r}")
            raise ConnectionRefusedError("tests never leave 127.0.0.1")
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        if outside(sock, address):
            attempts.append(f"connect {address!r}")
            raise ConnectionRefusedError("tests never leave 127.0.0.1")
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            attempts.append(f"DNS {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, "tests never leave 127.0.0.1")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    assert not attempts, f"the test tried to reach beyond 127.0.0.1: {attempts}"
