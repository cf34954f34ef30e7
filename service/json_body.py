"""Reading a JSON request body defensively: content type, size, depth and number range are checked.

Malformed or hostile bodies become 4xx problems, never a 500.
"""

from __future__ import annotations

import json
import math
from typing import Any

from service.problems import TYPE_BASE, ProblemError

JSON_MEDIA_TYPES = ("application/json", "application/fhir+json")
MAX_NUMBER = 1e15
MAX_INT_DIGITS = 16


class _BadNumber(ValueError):
    pass


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise _BadNumber(f"number out of range: {text[:32]}")
    return value


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _BadNumber(f"number out of range: {text[:32]}...")
    return int(text)


def _parse_constant(text: str) -> Any:
    raise _BadNumber(f"{text} is not valid JSON")


def check_content_type(content_type: str | None) -> None:
    """Accept ``application/json``, ``application/fhir+json`` and any ``+json`` type (or none); else 415."""
    if content_type is None or not content_type.strip():
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media in JSON_MEDIA_TYPES or (media.startswith("application/") and media.endswith("+json")):
        return
    raise ProblemError(
        415,
        "Unsupported Media Type",
        "Send the request body as application/json.",
        type_=TYPE_BASE + "unsupported-media-type",
    )


def _depth_exceeds(data: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in item)
    return False


def parse_json_body(body: bytes, content_type: str | None, max_depth: int) -> Any:
    """Decode ``body`` as JSON, or raise a :class:`ProblemError` (400, 415) saying what is wrong."""
    check_content_type(content_type)
    if not body.strip():
        raise ProblemError(
            400, "Empty request body", "A JSON body is required.", type_=TYPE_BASE + "malformed-json"
        )
    try:
        data = json.loads(
            body, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_parse_constant
        )
    except _BadNumber as exc:
        raise ProblemError(400, "Malformed JSON", str(exc), type_=TYPE_BASE + "malformed-json") from None
    except json.JSONDecodeError as exc:
        raise ProblemError(
            400,
            "Malformed JSON",
            f"{exc.msg} at line {exc.lineno} column {exc.colno}.",
            type_=TYPE_BASE + "malformed-json",
        ) from None
    except RecursionError:
        raise ProblemError(
            400,
            "JSON nested too deeply",
            f"Nesting deeper than {max_depth} levels is refused.",
            type_=TYPE_BASE + "too-deep",
        ) from None
    except (UnicodeDecodeError, ValueError):
        raise ProblemError(
            400, "Malformed JSON", "The body is not valid UTF-8 JSON.", type_=TYPE_BASE + "malformed-json"
        ) from None
    if _depth_exceeds(data, max_depth):
        raise ProblemError(
            400,
            "JSON nested too deeply",
            f"Nesting deeper than {max_depth} levels is refused.",
            type_=TYPE_BASE + "too-deep",
        )
    return data
