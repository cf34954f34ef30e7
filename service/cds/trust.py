"""Which FHIR servers the service may fetch from, and which address it connects to (SSRF defence).

A ``fhirServer`` is fetched from only when it lies under a base URL the deployment trusts
(``CLINRULES_FHIR_TRUSTED_SERVERS``, plus ``CLINRULES_FHIR_TRUSTED_SERVERS_BY_ISSUER`` for the verified
token's issuer). URLs are compared in their WHATWG-canonical form (``127.1``, ``2130706433`` and
``0x7f000001`` all read as ``127.0.0.1``), so no spelling of an address slips past the list.

The host is then resolved, and every address must be public, unless the trusted URL names that very IP
address, names ``localhost`` (loopback only), or the address lies in ``CLINRULES_FHIR_ALLOWED_NETWORKS``.
An IPv6 address that only wraps an IPv4 one (IPv4-mapped, SIIT, NAT64 ``64:ff9b::/96``, IPv4-compatible) is
judged by that IPv4 address; a 6to4 or Teredo address both as itself and by the IPv4 address it carries; other
IPv6 addresses must be global unicast (``2000::/3``).
Connections go only to the addresses that were checked (:class:`PinnedServer`), so a DNS answer that
changes between the check and the connection (rebinding) is never used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from pydantic import AnyHttpUrl, TypeAdapter, ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_URL: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)
_LOOPBACK_NAMES = frozenset({"localhost"})


class NotTrusted(Exception):
    """The URL may not be fetched from; the message (for the log only) says why."""


@dataclass(frozen=True)
class BaseUrl:
    """A canonical http(s) base URL: scheme, host (IPv6 without brackets), port and path without ``/``."""

    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, text: str) -> BaseUrl:
        """Canonicalise ``text``; refuse user info, query, fragment and dot segments."""
        try:
            url = _URL.validate_python(text)
        except ValidationError:
            raise NotTrusted("not an http(s) URL") from None
        if url.username or url.password or url.query or url.fragment:
            raise NotTrusted("a base URL has no user info, query or fragment")
        path = (url.path or "/").rstrip("/")
        if any(segment in (".", "..") for segment in unquote(path).split("/")):
            raise NotTrusted("dot segments in the path")
        host = (url.host or "").strip("[]")
        if not host or url.port is None:
            raise NotTrusted("no host")
        return cls(url.scheme, host, url.port, path)

    def covers(self, other: BaseUrl) -> bool:
        """Whether ``other`` is this URL or lies under its path."""
        return (self.scheme, self.host, self.port) == (other.scheme, other.host, other.port) and (
            other.path == self.path or other.path.startswith(self.path + "/")
        )

    @property
    def ip_literal(self) -> IPAddress | None:
        """The host as an IP address, when it is one."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.path}"


def check_trusted_entry(text: str) -> str:
    """Validate one configured trusted base URL (https, or http to a loopback host); return it canonical."""
    base = BaseUrl.parse(text)
    literal = base.ip_literal
    loopback = base.host in _LOOPBACK_NAMES or (literal is not None and literal.is_loopback)
    if base.scheme != "https" and not loopback:
        raise NotTrusted("a trusted FHIR server must be https (plain http only on loopback)")
    return str(base)


def trusted_base(server: str, trusted: Iterable[str]) -> BaseUrl:
    """The trusted entry covering ``server`` (raises :class:`NotTrusted` if none does)."""
    wanted = BaseUrl.parse(server)
    for entry in trusted:
        base = BaseUrl.parse(entry)
        if base.covers(wanted):
            return wanted
    raise NotTrusted("fhirServer is not a trusted FHIR server")


_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
# IPv6 forms that only wrap an IPv4 address (the low 32 bits): IPv4-mapped, SIIT's IPv4-translated
# (::ffff:0:0:0/96), the NAT64 well-known prefix and the deprecated IPv4-compatible form (:: and ::1 aside).
_WRAPPERS = tuple(
    ipaddress.IPv6Network(net) for net in ("::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96", "::/96")
)


def _judged(address: IPAddress) -> list[IPAddress]:
    """The addresses ``address`` is judged by: the IPv4 address a wrapper form carries (instead of the
    wrapper), or the address and any IPv4 address it routes to (6to4, Teredo)."""
    if isinstance(address, ipaddress.IPv4Address):
        return [address]
    if int(address) > 1 and any(address in net for net in _WRAPPERS):
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    found: list[IPAddress] = [address]
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def _public(address: IPAddress) -> bool:
    """Public by an explicit rule: IPv6 must also be global unicast (2000::/3), so neither the deprecated
    site-local fec0::/10 nor the local-use NAT64 prefix 64:ff9b:1::/48 passes on any Python version."""
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST:
        return False
    return address.is_global


def address_allowed(base: BaseUrl, address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    """Whether the service may connect to ``address`` for ``base`` (see the module docstring)."""
    if base.ip_literal is not None and base.ip_literal == address:
        return True  # the trusted URL names this very address
    allowed = list(networks)
    for candidate in _judged(address):
        if candidate.is_multicast or candidate.is_unspecified:
            return False
        if candidate.is_loopback and base.host in _LOOPBACK_NAMES:
            continue
        if not _public(candidate) and not any(candidate in net for net in allowed):
            return False
    return True


@dataclass(frozen=True)
class PinnedServer:
    """A trusted base URL and the checked addresses (in DNS order) its connections may go to."""

    base: BaseUrl
    addresses: tuple[IPAddress, ...]

    @staticmethod
    def url_for(target: BaseUrl, query: str, address: IPAddress) -> str:
        """The URL to connect to: ``target``'s path and ``query`` on one pinned address."""
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"{target.scheme}://{host}:{target.port}{target.path}" + (f"?{query}" if query else "")

    @property
    def host_header(self) -> str:
        """The ``Host`` header (and TLS server name) the server expects."""
        default = {"http": 80, "https": 443}[self.base.scheme]
        host = f"[{self.base.host}]" if ":" in self.base.host else self.base.host
        return host if self.base.port == default else f"{host}:{self.base.port}"


async def pin(base: BaseUrl, networks: Iterable[IPNetwork]) -> PinnedServer:
    """Resolve ``base``'s host and check every address; the server pinned to those addresses."""
    literal = base.ip_literal
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                base.host, base.port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError):
            raise NotTrusted("the host does not resolve") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise NotTrusted("the host does not resolve")
    nets = list(networks)
    refused = [a for a in addresses if not address_allowed(base, a, nets)]
    if refused:
        # One non-public answer among public ones is still refused: the answer is not trustworthy.
        raise NotTrusted(f"the host resolves to a non-public address ({refused[0]})")
    return PinnedServer(base, tuple(dict.fromkeys(addresses)))
