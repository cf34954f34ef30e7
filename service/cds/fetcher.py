"""Reading FHIR resources from a trusted, pinned FHIR server, within hard limits.

Asynchronous (httpx), so a slow server holds no thread and never delays other endpoints. Each GET has a
deadline for the whole exchange, body included (not per read); the number of GETs in flight per process
is bounded (:class:`FetchGate`). Bodies are streamed and decompressed here, chunk by chunk with a bound
on the output, so a decompression bomb stops at the byte cap (counted after decoding) before it can
fill memory. Bytes and Bundle entries are also capped per call, and search pages are followed to the end
or not at all (a result whose ``total`` counts more matches than its pages hold is a failure too).
Every failure is a :class:`FetchFailed` whose reason is for the log only.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from engine.fhir.bundles import failed_search, next_link, short_of_total
from service.cds.content_encoding import decoder_for
from service.cds.trust import BaseUrl, NotTrusted, PinnedServer
from service.json_body import parse_json_body
from service.problems import ProblemError
from service.settings import Settings

if TYPE_CHECKING:
    import httpx


class FetchFailed(Exception):
    """A fetch did not give a complete, usable answer; the message (log only) says why."""


@dataclass(frozen=True)
class FetchLimits:
    """The limits of one CDS call's fetching (from the ``CLINRULES_FHIR_*`` settings)."""

    timeout_seconds: float = 3.0
    max_pages: int = 10
    max_response_bytes: int = 4 * 1024 * 1024
    max_total_bytes: int = 8 * 1024 * 1024
    max_entries: int = 5000
    max_json_depth: int = 64

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        """The limits the settings configure."""
        return cls(
            timeout_seconds=settings.fhir_timeout_seconds,
            max_pages=settings.fhir_max_pages,
            max_response_bytes=settings.fhir_max_response_bytes,
            max_total_bytes=settings.fhir_max_total_bytes,
            max_entries=settings.fhir_max_entries,
            max_json_depth=settings.max_json_depth,
        )


class FetchGate:
    """At most ``limit`` FHIR GETs in flight in this process (one semaphore per event loop)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: asyncio.Semaphore | None = None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the slots (waiting for one counts against the caller's deadline)."""
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._loop, self._semaphore = loop, asyncio.Semaphore(self.limit)
        async with self._semaphore:
            yield


def gate_for(holder: Any, limit: int) -> FetchGate:
    """The process's gate, kept on ``holder`` (the app's ``state``), made on first use."""
    gate = getattr(holder, "fhir_fetch_gate", None)
    if not isinstance(gate, FetchGate):
        gate = FetchGate(limit)
        holder.fhir_fetch_gate = gate
    return gate


@cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every fetch: building one loads the CA bundle (tens of ms on the event loop)."""
    import httpx

    return httpx.create_ssl_context()


def _entries(bundle: dict[str, Any]) -> list[Any]:
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FetchFailed("Bundle.entry is not a list")
    if failed_search(bundle):
        raise FetchFailed("the answer holds an error OperationOutcome")
    return entries


class FhirFetcher:
    """GETs from one pinned FHIR server for one CDS call, with the call's token, within its limits."""

    def __init__(
        self,
        server: PinnedServer,
        token: str | None,
        limits: FetchLimits,
        gate: FetchGate,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.server = server
        self.limits = limits
        self.gate = gate
        self.headers = {
            "Accept": "application/fhir+json, application/json",
            "Accept-Encoding": "gzip, deflate",
            "Host": server.host_header,
        }
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        # httpx is imported on the first fetch: it loads its command line (click, rich) when they are
        # installed, a tenth of a worker's start-up, and most deployments send their data prefetched.
        import httpx

        self.client = httpx.AsyncClient(
            transport=transport,
            verify=_tls_context(),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: the pinned address is the one connected to
            timeout=httpx.Timeout(limits.timeout_seconds),
        )
        self.bytes_read = 0
        self.entries_read = 0

    async def __aenter__(self) -> FhirFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def read(self, path: str) -> dict[str, Any]:
        """The resource at ``path`` (relative to the server's base), or every page of a search."""
        relative, _, query = path.lstrip("/").partition("?")
        target = BaseUrl(
            self.server.base.scheme,
            self.server.base.host,
            self.server.base.port,
            f"{self.server.base.path}/{relative}",
        )
        data = await self._get(target, query)
        if data["resourceType"] != "Bundle":
            return data
        return await self.rest_of(data)

    async def rest_of(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """``bundle`` (a first page) with the entries of all its following pages merged in."""
        entries = list(_entries(bundle))
        self._count_entries(len(entries))
        url = next_link(bundle)
        pages = 1
        while url is not None:
            if pages >= self.limits.max_pages:
                raise FetchFailed(f"more than {self.limits.max_pages} pages")
            page = await self._get_url(url)
            if page["resourceType"] != "Bundle":
                raise FetchFailed("a next page is not a Bundle")
            page_entries = _entries(page)
            self._count_entries(len(page_entries))
            entries.extend(page_entries)
            pages += 1
            url = next_link(page)
        merged = {k: v for k, v in bundle.items() if k not in ("entry", "link")}
        merged["entry"] = entries
        if short_of_total(merged):
            raise FetchFailed("Bundle.total counts more matches than the pages hold")
        return merged

    def _count_entries(self, count: int) -> None:
        self.entries_read += count
        if self.entries_read > self.limits.max_entries:
            raise FetchFailed(f"more than {self.limits.max_entries} entries")

    async def _get_url(self, url: str) -> dict[str, Any]:
        """GET an absolute URL (a ``next`` link): only under the server's base, so the token stays there."""
        if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
            raise FetchFailed("a next link holds spaces or control characters")
        without_fragment = url.split("#", 1)[0]
        location, _, query = without_fragment.partition("?")
        try:
            target = BaseUrl.parse(location)
        except NotTrusted as exc:
            raise FetchFailed(f"next link: {exc}") from None
        if not self.server.base.covers(target):
            raise FetchFailed("a next link points outside fhirServer")
        return await self._get(target, query)

    async def _get(self, target: BaseUrl, query: str) -> dict[str, Any]:
        import httpx

        async with self.gate.slot():
            try:
                async with asyncio.timeout(self.limits.timeout_seconds):
                    body = await self._download_from_any(target, query)
            except TimeoutError:
                raise FetchFailed("a GET took longer than its deadline") from None
            except httpx.HTTPError as exc:
                raise FetchFailed(f"HTTP error {type(exc).__name__}") from None
            except FetchFailed:
                raise
            except Exception as exc:  # any other failure is a fetch failure: one 412 for all
                raise FetchFailed(f"unexpected {type(exc).__name__}") from None
        try:
            data = await anyio.to_thread.run_sync(parse_json_body, body, None, self.limits.max_json_depth)
        except ProblemError:
            raise FetchFailed("the answer is not JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
            raise FetchFailed("the answer is not a FHIR resource")
        if data["resourceType"] == "OperationOutcome":
            raise FetchFailed("the answer is an OperationOutcome")
        return data

    async def _download_from_any(self, target: BaseUrl, query: str) -> bytes:
        """The answer from the first checked address that accepts a connection (the last that did first)."""
        import httpx

        addresses = self.server.addresses
        for index, address in enumerate(addresses):
            try:
                body = await self._download(self.server.url_for(target, query, address))
            except httpx.ConnectError:
                if index == len(addresses) - 1:
                    raise
                continue
            if index:
                self.server = PinnedServer(
                    self.server.base, (address, *addresses[:index], *addresses[index + 1 :])
                )
            return body
        raise FetchFailed("no address to connect to")

    async def _download(self, url: str) -> bytes:
        """The decoded body of a 200 answer, streamed and cut off at the byte caps."""
        extensions = {"sni_hostname": self.server.base.host}
        async with self.client.stream("GET", url, headers=self.headers, extensions=extensions) as response:
            if response.status_code != 200:
                raise FetchFailed(f"HTTP {response.status_code}")
            cap = min(self.limits.max_response_bytes, self.limits.max_total_bytes - self.bytes_read)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise FetchFailed("declared Content-Length over the byte cap")
            try:
                decoder = decoder_for(response.headers.get("content-encoding", "").strip().lower())
            except ValueError as exc:
                raise FetchFailed(str(exc)) from None
            chunks: list[bytes] = []
            size = raw_size = 0
            try:
                async for raw in response.aiter_raw():
                    raw_size += len(raw)
                    data = raw if decoder is None else decoder.decompress(raw, cap - size + 1)
                    size += len(data)
                    if size > cap or raw_size > cap:
                        raise FetchFailed(f"answer over the byte cap ({cap} bytes decoded)")
                    chunks.append(data)
                if decoder is not None:
                    tail = decoder.flush()
                    size += len(tail)
                    if size > cap:
                        raise FetchFailed(f"answer over the byte cap ({cap} bytes decoded)")
                    chunks.append(tail)
            except zlib.error:
                raise FetchFailed("the answer does not decode as its Content-Encoding says") from None
        self.bytes_read += size
        return b"".join(chunks)
