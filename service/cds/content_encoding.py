"""Decoding a FHIR server's compressed answer chunk by chunk, so the fetcher can bound the output."""

from __future__ import annotations

import zlib


class Deflate:
    """``deflate`` as specified (zlib-wrapped) or as many servers send it (raw): raw is tried when the
    zlib form fails before giving any output, on all the bytes read so far."""

    def __init__(self) -> None:
        self._inner = zlib.decompressobj()
        self._read: bytes | None = b""  # the input so far, until the zlib form has given output

    def decompress(self, data: bytes, max_length: int) -> bytes:
        """Up to ``max_length`` decoded bytes of ``data``."""
        if self._read is None:
            return self._inner.decompress(data, max_length)
        self._read += data
        try:
            out = self._inner.decompress(data, max_length)
        except zlib.error:
            self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
            out, self._read = self._inner.decompress(self._read, max_length), None
            return out
        if out:
            self._read = None
        return out

    def flush(self) -> bytes:
        """What remains decoded at the end of the body."""
        return self._inner.flush()


def decoder_for(encoding: str) -> zlib._Decompress | Deflate | None:
    """A decompressor for a response's ``Content-Encoding`` (None for identity; ValueError if unsupported)."""
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return Deflate()
    raise ValueError(f"unsupported content-encoding {encoding[:32]!r}")
