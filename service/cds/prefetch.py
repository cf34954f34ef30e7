"""Getting the FHIR data a hook call needs: from ``prefetch``, else from the client's ``fhirServer``.

A prefetch value that is missing, null or an OperationOutcome is fetched from ``fhirServer`` with the
``fhirAuthorization`` bearer token. When that is impossible or fails, the call is answered 412 with a FHIR
OperationOutcome saying which data is missing. The token is sent only to ``fhirServer`` itself (``next``
links to other hosts are not followed) and is never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from engine.errors import FieldProblem
from service.cds.models import CdsRequest
from service.cds.services import TemplateError, render_template
from service.json_body import parse_json_body
from service.problems import TYPE_BASE, ProblemError, invalid_fields
from service.settings import Settings

log = logging.getLogger("service.prefetch")
MAX_FHIR_RESPONSE_BYTES = 20 * 1024 * 1024


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


def _is_resource(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str)


def resolve_prefetch(
    request: CdsRequest, templates: Mapping[str, str], settings: Settings, client: httpx.Client | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The FHIR resources for every template (prefetched or fetched), and the keys that were fetched."""
    given = request.prefetch or {}
    resources: list[dict[str, Any]] = []
    missing: list[str] = []
    for key in templates:
        value = given.get(key)
        if key in given and value is None:
            continue  # CDS Hooks: null means the client has no data for this template
        if value is None or (_is_resource(value) and value["resourceType"] == "OperationOutcome"):
            missing.append(key)
        elif not _is_resource(value):
            raise invalid_fields(
                [FieldProblem(f"prefetch.{key}", "must be a FHIR resource or Bundle, or null")]
            )
        else:
            resources.append(value)
    if not missing:
        return resources, []
    if request.fhirServer is None or not settings.fhir_fetch_enabled:
        reason = "no fhirServer was given" if request.fhirServer is None else "fetching is disabled"
        raise precondition_failed(
            [
                ("incomplete", f"prefetch '{key}' ({templates[key]}) is missing and {reason}")
                for key in missing
            ]
        )
    fetcher = FhirFetcher(str(request.fhirServer), request, settings, client)
    try:
        for key in missing:
            try:
                path = render_template(templates[key], request.context)
            except TemplateError as exc:
                raise precondition_failed([("required", f"prefetch '{key}' needs context.{exc}")]) from None
            resources.append(fetcher.fetch(key, path))
    finally:
        fetcher.close()
    return resources, missing


class FhirFetcher:
    """GETs resources and search Bundles from the CDS client's FHIR server, following ``next`` pages."""

    def __init__(
        self, server: str, request: CdsRequest, settings: Settings, client: httpx.Client | None = None
    ) -> None:
        self.base = server.rstrip("/")
        self.settings = settings
        headers = {"Accept": "application/fhir+json, application/json"}
        auth = request.fhirAuthorization
        if auth is not None:
            headers["Authorization"] = f"Bearer {auth.access_token.get_secret_value()}"
        self.headers = headers
        self.own_client = client is None
        self.client = client or httpx.Client(timeout=settings.fhir_timeout_seconds, follow_redirects=False)

    def close(self) -> None:
        """Close the HTTP client if this fetcher made it."""
        if self.own_client:
            self.client.close()

    def _get(self, key: str, url: str) -> dict[str, Any]:
        try:
            response = self.client.get(url, headers=self.headers)
        except httpx.HTTPError as exc:
            log.warning("fhir fetch failed", extra={"prefetch_key": key, "error_type": type(exc).__name__})
            raise precondition_failed(
                [("exception", f"prefetch '{key}': fhirServer could not be reached")]
            ) from None
        if response.status_code != 200:
            log.warning("fhir fetch refused", extra={"prefetch_key": key, "status": response.status_code})
            code = (
                "not-found"
                if response.status_code == 404
                else "forbidden"
                if response.status_code in (401, 403)
                else "exception"
            )
            raise precondition_failed(
                [(code, f"prefetch '{key}': fhirServer answered HTTP {response.status_code}")]
            )
        if len(response.content) > MAX_FHIR_RESPONSE_BYTES:
            raise precondition_failed([("too-costly", f"prefetch '{key}': fhirServer response too large")])
        try:
            data = parse_json_body(response.content, None, self.settings.max_json_depth)
        except ProblemError:
            raise precondition_failed(
                [("structure", f"prefetch '{key}': fhirServer answered invalid JSON")]
            ) from None
        if not _is_resource(data) or data["resourceType"] == "OperationOutcome":
            raise precondition_failed(
                [("structure", f"prefetch '{key}': fhirServer answered no usable resource")]
            )
        return dict(data)

    def fetch(self, key: str, path: str) -> dict[str, Any]:
        """The resource or search Bundle at ``path`` (relative to the server), with up to N pages merged."""
        data = self._get(key, f"{self.base}/{path.lstrip('/')}")
        if data.get("resourceType") != "Bundle":
            return data
        entries = list(data.get("entry") or [])
        pages = 1
        next_url = _next_link(data)
        while next_url:
            # Evaluating a patient with part of the record missing could hide an alert: refuse instead.
            if pages >= self.settings.fhir_max_pages:
                raise precondition_failed(
                    [("too-costly", f"prefetch '{key}': more than {pages} page(s) of results; prefetch it")]
                )
            if not next_url.startswith(self.base + "/") and not next_url.startswith(self.base + "?"):
                raise precondition_failed(
                    [("not-supported", f"prefetch '{key}': the next page is on another server; prefetch it")]
                )
            page = self._get(key, next_url)
            entries.extend(page.get("entry") or [])
            pages += 1
            next_url = _next_link(page)
        merged = {k: v for k, v in data.items() if k not in ("entry", "link")}
        merged["entry"] = entries
        return merged


def _next_link(bundle: dict[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None
