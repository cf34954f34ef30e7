"""Fetching the Medications that orders and statements name only by reference (``medicationReference``).

CDS Hooks makes the service responsible for retrieving data its prefetch did not bring. An order whose
drug is a ``Medication/id`` that is not in the request would otherwise be left out, and a thalidomide order
for a pregnant patient would raise no alert. So, after the prefetch is resolved and read, each such
reference is fetched from the request's ``fhirServer``, with the prefetch's trust checks, pinning, limits
and deadline (:mod:`service.cds.prefetch`, :mod:`service.cds.fetcher`).

References are caller data, so only those on that same server are fetched: a relative ``Medication/id``
(optionally ``/_history/vid``), or an absolute URL under the ``fhirServer`` base naming the same. Any other
reference (another host, a ``urn:uuid:``, a query, a dot segment) is never fetched. At most
:data:`MAX_MEDICATION_FETCHES` are fetched per call. What cannot be fetched keeps the intake's note (the
drug could not be identified, so an alert may be missing); the call is never refused for it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

from service.cds.fetcher import FetchFailed, FetchGate, FetchLimits, FhirFetcher
from service.cds.models import CdsRequest
from service.cds.prefetch import access_token, log_failure, pinned_server
from service.cds.trust import BaseUrl, NotTrusted
from service.settings import Settings

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("service.prefetch")

MAX_MEDICATION_FETCHES = 20
"""Most Medications fetched for one call (each one GET); references beyond it keep their note."""

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # a FHIR R4 id


def _fhir_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None and text.strip(".") != ""


def fetch_path(reference: str, server: str) -> str | None:
    """The path (relative to ``server``, the request's ``fhirServer``) to read the Medication ``reference``
    names, or None when it is not a Medication on that server (and so is never fetched)."""
    relative = reference
    if reference.lower().startswith(("http://", "https://")):
        try:
            base, target = BaseUrl.parse(server), BaseUrl.parse(reference)
        except NotTrusted:
            return None
        if not base.covers(target) or target.path == base.path:
            return None
        relative = target.path[len(base.path) + 1 :]
    parts = relative.split("/")
    if parts[0] != "Medication" or not all(_fhir_id(part) for part in parts[1::2]):
        return None
    if len(parts) == 2 or (len(parts) == 4 and parts[2] == "_history"):
        return relative
    return None


async def fetch_medications(
    request: CdsRequest,
    references: list[str],
    settings: Settings,
    *,
    gate: FetchGate,
    deadline: float,
    issuer: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, dict[str, Any]]:
    """The Medications fetched for ``references`` (unresolved ``medicationReference`` targets), by the path
    read (``Medication/id``). Empty when there is no ``fhirServer``, it is not trusted, or nothing could be
    fetched; never raises for a fetch failure (each is logged)."""
    if request.fhirServer is None:
        return {}
    server_url = str(request.fhirServer)
    paths = [p for p in dict.fromkeys(fetch_path(r, server_url) for r in references) if p is not None]
    if len(paths) > MAX_MEDICATION_FETCHES:
        log.warning("medication references over the fetch limit", extra={"count": len(paths)})
        paths = paths[:MAX_MEDICATION_FETCHES]
    fetched: dict[str, dict[str, Any]] = {}
    if not paths:
        return fetched
    try:
        async with asyncio.timeout_at(deadline):
            server = await pinned_server(request, settings, issuer)
            limits = FetchLimits.from_settings(settings)
            async with FhirFetcher(server, access_token(request), limits, gate, transport) as fetcher:
                for path in paths:
                    try:
                        medication = await fetcher.read(path)
                    except FetchFailed as exc:
                        log_failure("medicationReference", request, exc)
                        continue
                    if (
                        medication.get("resourceType") == "Medication"
                        and medication.get("id") == (path.split("/")[1])
                    ):
                        fetched[path] = medication
                    else:
                        log_failure("medicationReference", request, FetchFailed("not the Medication asked"))
    except (NotTrusted, FetchFailed, TimeoutError) as exc:
        log_failure("medicationReference", request, exc)
    return fetched
