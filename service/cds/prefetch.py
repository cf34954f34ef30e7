"""Getting the FHIR data a hook call needs: from ``prefetch``, else from the client's ``fhirServer``.

A prefetch value that is missing or an OperationOutcome (alone, or an ``error``/``fatal`` one in a search
Bundle: the server's search failed), or a search Bundle whose ``total`` counts more matches than it holds
(with no next link: part of the result was left out), is fetched from ``fhirServer``; a prefetched
search Bundle with a ``next`` link has the rest of its pages fetched, because evaluating part of a record
could hide an alert. A null value means the client has no such data (CDS Hooks) and is not fetched.

Fetching happens only from a FHIR server the deployment trusts (:mod:`service.cds.trust`), within the
limits of :mod:`service.cds.fetcher`. When data cannot be had, the call is answered 412 with a FHIR
OperationOutcome naming the prefetch keys; every fetch failure (untrusted server, refused address, closed
port, HTTP error, timeout, oversized answer, too many pages) gives the caller the same text, so the service
cannot be used to probe a network. The reason goes to the log, without token, URL path or patient id.
A request whose prefetch is complete is evaluated whatever its ``fhirServer``: fetch policy governs
fetching only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.errors import FieldProblem
from engine.fhir.bundles import failed_search, next_link, short_of_total
from service.cds.fetcher import FetchFailed, FetchGate, FetchLimits, FhirFetcher
from service.cds.models import CdsRequest
from service.cds.services import TemplateError, render_template
from service.cds.trust import BaseUrl, NotTrusted, PinnedServer, pin, trusted_base
from service.problems import TYPE_BASE, ProblemError, invalid_fields
from service.settings import Settings

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("service.prefetch")
NO_SERVER = "the request names no fhirServer"
NOT_FETCHED = "could not be fetched from fhirServer"


def operation_outcome(issues: list[tuple[str, str]]) -> dict[str, Any]:
    """A FHIR OperationOutcome with one error issue per ``(code, diagnostics)``."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text} for code, text in issues],
    }


def precondition_failed(issues: list[tuple[str, str]]) -> ProblemError:
    """The 412 answered when the data a hook needs can be neither prefetched nor fetched."""
    return ProblemError(
        412,
        "Precondition Failed",
        "Data the service needs was not prefetched and could not be fetched from fhirServer.",
        type_=TYPE_BASE + "prefetch-missing",
        extensions={"operationOutcome": operation_outcome(issues)},
    )


def _incomplete(
    missing: list[str], paged: list[str], templates: Mapping[str, str], why: str, short: frozenset[str]
) -> ProblemError:
    """The 412 naming every key not had whole; ``why`` is the same text for every fetch failure."""
    lack = f"and {why}"
    rest = lack if why == NO_SERVER else f"and the rest {why}"
    issues = [
        (
            "incomplete",
            f"prefetch '{key}' holds fewer matches than its Bundle.total says {rest}"
            if key in short
            else f"prefetch '{key}' ({templates[key]}) is missing {lack}",
        )
        for key in missing
    ]
    issues += [
        ("incomplete", f"prefetch '{key}' holds only the first page of a search (a next link) {rest}")
        for key in paged
    ]
    return precondition_failed(issues)


def _is_resource(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str)


def trusted_servers(settings: Settings, issuer: str | None) -> list[str]:
    """The base URLs this caller may name: those trusted for everyone, and those of its token's issuer."""
    own = settings.fhir_trusted_servers_by_issuer.get(issuer, []) if issuer is not None else []
    return [*settings.fhir_trusted_servers, *own]


def _classify(
    request: CdsRequest, templates: Mapping[str, str]
) -> tuple[dict[str, dict[str, Any]], list[str], list[str], frozenset[str]]:
    """The prefetched resources by key, the keys to fetch, the keys whose search has more pages, and the
    keys (among those to fetch) whose search Bundle holds fewer matches than its ``total``."""
    given = request.prefetch or {}
    resources: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    paged: list[str] = []
    short: set[str] = set()
    for key in templates:
        value = given.get(key)
        if key in given and value is None:
            continue  # CDS Hooks: null means the client has no data for this template
        if value is None or (
            _is_resource(value)
            and (
                value["resourceType"] == "OperationOutcome"
                or (value["resourceType"] == "Bundle" and (failed_search(value) or short_of_total(value)))
            )
        ):
            # An error OperationOutcome, alone or in a search Bundle: the search failed; a Bundle.total
            # above its matches (and no next link): part of the result was left out.
            missing.append(key)
            if isinstance(value, dict) and value.get("resourceType") == "Bundle" and short_of_total(value):
                short.add(key)
        elif not _is_resource(value):
            raise invalid_fields(
                [FieldProblem(f"prefetch.{key}", "must be a FHIR resource or Bundle, or null")]
            )
        else:
            resources[key] = value
            if value["resourceType"] == "Bundle" and next_link(value) is not None:
                paged.append(key)
    return resources, missing, paged, frozenset(short)


def call_deadline(settings: Settings) -> float:
    """The event-loop time by which one call's fetching must be done."""
    return asyncio.get_running_loop().time() + settings.fhir_deadline_seconds


def access_token(request: CdsRequest) -> str | None:
    """The ``fhirAuthorization`` access token, if the request has one."""
    return request.fhirAuthorization.access_token.get_secret_value() if request.fhirAuthorization else None


async def pinned_server(request: CdsRequest, settings: Settings, issuer: str | None) -> PinnedServer:
    """The request's ``fhirServer``, checked against the trusted servers and pinned to its checked addresses
    (:class:`NotTrusted` when it may not be fetched from)."""
    base = trusted_base(str(request.fhirServer), trusted_servers(settings, issuer))
    networks = [ipaddress.ip_network(n) for n in settings.fhir_allowed_networks]
    return await pin(base, networks)


async def resolve_prefetch(
    request: CdsRequest,
    templates: Mapping[str, str],
    settings: Settings,
    *,
    gate: FetchGate,
    issuer: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    deadline: float | None = None,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The FHIR resource of every template by its key (prefetched, completed or fetched), and the keys
    fetched.

    ``issuer`` is the verified JWT's ``iss`` (None when JWT is off); ``gate`` bounds concurrent GETs;
    ``deadline`` (event-loop time) is the call's fetch deadline, by default ``fhir_deadline_seconds``
    from now.
    """
    resources, missing, paged, short = _classify(request, templates)
    if not missing and not paged:
        return resources, []
    if request.fhirServer is None:
        raise _incomplete(missing, paged, templates, NO_SERVER, short)
    paths: dict[str, str] = {}
    for key in missing:
        try:
            paths[key] = render_template(templates[key], request.context)
        except TemplateError as exc:
            raise precondition_failed([("required", f"prefetch '{key}' needs context.{exc}")]) from None
    current = (missing + paged)[0]
    try:
        async with asyncio.timeout_at(deadline if deadline is not None else call_deadline(settings)):
            server = await pinned_server(request, settings, issuer)
            limits = FetchLimits.from_settings(settings)
            async with FhirFetcher(server, access_token(request), limits, gate, transport) as fetcher:
                for key in paged:
                    current = key
                    resources[key] = await fetcher.rest_of(resources[key])
                for key in missing:
                    current = key
                    resources[key] = await fetcher.read(paths[key])
    except (NotTrusted, FetchFailed, TimeoutError) as exc:
        log_failure(current, request, exc)
        raise _incomplete(missing, paged, templates, NOT_FETCHED, short) from None
    return {key: resources[key] for key in templates if key in resources}, missing + paged


def log_failure(key: str, request: CdsRequest, exc: Exception) -> None:
    """Log why a fetch failed: the reason and the host, never the token, URL path or patient id."""
    reason = str(exc) if not isinstance(exc, TimeoutError) else "the call's fetch deadline passed"
    try:
        host = BaseUrl.parse(str(request.fhirServer)).host
    except NotTrusted:
        host = "?"
    log.warning(
        "fhir fetch failed",
        extra={"prefetch_key": key, "reason": reason, "fhir_host": host, "kind": type(exc).__name__},
    )
