"""A small FHIR server on 127.0.0.1 in a thread, for testing prefetch fetching from ``fhirServer``.

Besides answering reads and paged searches honestly, it can play the hostile server of the security
tests: drip its answers one byte at a time (``drip_seconds``), send a gzip bomb (``bomb``), pad every
search page (``padding``), point ``next`` links at another server (``next_base``), redirect every
request there (``redirect_to``), compress its answers (``encoding``: ``gzip``, ``deflate`` or ``raw deflate``,
the header-less form some servers send) or only claim to (``mislabel``). It counts the connections it
serves at once (``max_active``).
"""

from __future__ import annotations

import json
import select
import socket
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class FhirStore:
    """Resources by ``Type/id``; searches return every resource of the type whose subject is the patient."""

    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    token: str | None = None
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    page_size: int = 100
    drip_seconds: float | None = None
    bomb: bytes | None = None
    padding: int = 0
    next_base: str | None = None
    redirect_to: str | None = None
    encoding: str | None = None
    mislabel: bool = False
    active: int = 0
    max_active: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def enter(self) -> None:
        """Count a request being served."""
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)

    def leave(self) -> None:
        """Count a request served."""
        with self.lock:
            self.active -= 1

    def add(self, *resources: dict[str, Any]) -> None:
        """Store resources."""
        for r in resources:
            self.resources[f"{r['resourceType']}/{r['id']}"] = r

    def search(
        self, rtype: str, patient: str | None, query: dict[str, list[str]] | None = None
    ) -> list[dict[str, Any]]:
        """Resources of ``rtype`` about ``patient``, filtered as FHIR R4 filters ``code`` and ``combo-code``.

        ``code`` matches a resource's own code; ``combo-code`` (Observation) its code or a component's, so
        a CD4 count inside a panel is found only by ``combo-code``. Tokens are ``system|code`` or ``code``.
        """
        query = query or {}
        found = []
        for key, r in self.resources.items():
            if not key.startswith(rtype + "/"):
                continue
            subject = (r.get("subject") or {}).get("reference")
            if patient is not None and subject != f"Patient/{patient}":
                continue
            if "code" in query and not _matches(query["code"], [r.get("code")]):
                continue
            parts = [r.get("code")] + [c.get("code") for c in r.get("component") or []]
            if "combo-code" in query and not _matches(query["combo-code"], parts):
                continue
            found.append(r)
        return found


def _matches(params: list[str], concepts: list[Any]) -> bool:
    """Whether any coding of ``concepts`` is one of the search tokens (``system|code`` or ``code``)."""
    tokens = {t for p in params for t in p.split(",")}
    for concept in concepts:
        for coding in (concept or {}).get("coding") or []:
            code = coding.get("code")
            if code in tokens or f"{coding.get('system', '')}|{code}" in tokens:
                return True
    return False


def _compress(data: bytes, encoding: str) -> bytes:
    """``data`` compressed as ``gzip``, ``deflate`` (zlib-wrapped) or ``raw deflate``."""
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "raw deflate": -zlib.MAX_WBITS}[encoding]
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return compressor.compress(data) + compressor.flush()


def _handler(store: FhirStore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # silence
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            if store.encoding is not None:
                data = data if store.mislabel else _compress(data, store.encoding)
                self.send_header("Content-Encoding", store.encoding.split()[-1])
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _drip(self, seconds: float) -> None:
            # Headers at once, then one byte of a never-ending body every ``seconds``.
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.flush()
            for _ in range(100_000):
                if self._client_left(seconds) or store.stop.is_set():
                    return
                self.wfile.write(b" ")
                self.wfile.flush()

        def _client_left(self, seconds: float) -> bool:
            # Wait up to ``seconds``; a readable socket with nothing to read means the client hung up.
            readable, _, _ = select.select([self.connection], [], [], seconds)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)

        def _send_bomb(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            store.enter()
            try:
                self._answer()
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up (as it should, on a hostile answer)
            finally:
                store.leave()

        def _answer(self) -> None:
            auth = self.headers.get("Authorization")
            store.requests.append((self.path, auth))
            if store.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", store.redirect_to + self.path.removeprefix("/fhir"))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if store.drip_seconds is not None:
                self._drip(store.drip_seconds)
                return
            if store.bomb is not None:
                self._send_bomb(store.bomb)
                return
            if store.token is not None and auth != f"Bearer {store.token}":
                self._send(
                    401,
                    {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "login"}]},
                )
                return
            parts = urlsplit(self.path)
            segments = [s for s in parts.path.split("/") if s][1:]  # drop the "fhir" base segment
            query = parse_qs(parts.query)
            if len(segments) == 2:
                resource = store.resources.get("/".join(segments))
                if resource is None:
                    self._send(
                        404,
                        {
                            "resourceType": "OperationOutcome",
                            "issue": [{"severity": "error", "code": "not-found"}],
                        },
                    )
                else:
                    self._send(200, resource)
                return
            if len(segments) == 1:
                patients = query.get("patient") or []
                found = store.search(segments[0], patients[0] if patients else None, query)
                offset = int((query.get("_offset") or ["0"])[0])
                page = found[offset : offset + store.page_size]
                bundle: dict[str, Any] = {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "total": len(found),
                    "entry": [{"resource": r} for r in page],
                }
                if store.padding:
                    bundle["identifier"] = {"system": "urn:padding", "value": "x" * store.padding}
                if offset + store.page_size < len(found):
                    after = offset + store.page_size
                    rest = {k: v for k, v in query.items() if k != "_offset"}
                    query_string = urlencode({**rest, "_offset": [after]}, doseq=True)
                    # Next links name the server as the client addressed it (its Host header).
                    base = store.next_base or f"http://{self.headers['Host']}/fhir"
                    nxt = f"{base}{parts.path.removeprefix('/fhir')}?{query_string}"
                    bundle["link"] = [{"relation": "next", "url": nxt}]
                self._send(200, bundle)
                return
            self._send(
                400, {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]}
            )

    return Handler


@contextmanager
def running_fhir_server(store: FhirStore) -> Iterator[str]:
    """Serve ``store`` on a free loopback port; yield the base URL (``http://127.0.0.1:N/fhir``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(store))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fhir"
    finally:
        store.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@cache
def gzip_bomb(inflated_mib: int = 1024) -> bytes:
    """A gzip body of about 1 MB that inflates to ``inflated_mib`` MiB of JSON-looking whitespace."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * (1 << 20)
    parts = [compressor.compress(b'{"resourceType": "Bundle", "entry": [')]
    parts += [compressor.compress(block) for _ in range(inflated_mib)]
    parts.append(compressor.flush())
    return b"".join(parts)
