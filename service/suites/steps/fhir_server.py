"""A small FHIR server on 127.0.0.1 in a thread, for testing prefetch fetching from ``fhirServer``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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

    def add(self, *resources: dict[str, Any]) -> None:
        """Store resources."""
        for r in resources:
            self.resources[f"{r['resourceType']}/{r['id']}"] = r

    def search(self, rtype: str, patient: str | None) -> list[dict[str, Any]]:
        """Resources of ``rtype`` about ``patient``."""
        found = []
        for key, r in self.resources.items():
            if not key.startswith(rtype + "/"):
                continue
            subject = (r.get("subject") or {}).get("reference")
            if patient is None or subject == f"Patient/{patient}":
                found.append(r)
        return found


def _handler(store: FhirStore) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # silence
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization")
            store.requests.append((self.path, auth))
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
                found = store.search(segments[0], patients[0] if patients else None)
                offset = int((query.get("_offset") or ["0"])[0])
                page = found[offset : offset + store.page_size]
                bundle: dict[str, Any] = {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "total": len(found),
                    "entry": [{"resource": r} for r in page],
                }
                if offset + store.page_size < len(found):
                    port = self.server.server_address[1]  # type: ignore[index]
                    after = offset + store.page_size
                    rest = {k: v for k, v in query.items() if k != "_offset"}
                    query_string = urlencode({**rest, "_offset": [after]}, doseq=True)
                    nxt = f"http://127.0.0.1:{port}{parts.path}?{query_string}"
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
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
