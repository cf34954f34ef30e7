"""Reading a JSON request body defensively: content type, size, depth, number range and Unicode are checked.

Malformed or hostile bodies become 4xx problems, never a 500.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import msgspec

from engine.errors import FieldProblem
from service.problems import TYPE_BASE, ProblemError, invalid_fields

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


# A JSON escape of a UTF-16 surrogate (\ud800-\udfff): only then can a decoded string hold a lone one.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
MAX_REPORTED = 20
_DECODER = msgspec.json.Decoder()


def _unsupported(detail: str) -> ProblemError:
    return ProblemError(415, "Unsupported Media Type", detail, type_=TYPE_BASE + "unsupported-media-type")


def check_content_type(content_type: str | None) -> None:
    """Accept ``application/json``, ``application/fhir+json`` and any ``+json`` type (or none); else 415."""
    if content_type is None or not content_type.strip():
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media in JSON_MEDIA_TYPES or (media.startswith("application/") and media.endswith("+json")):
        return
    raise _unsupported("Send the request body as application/json.")


def require_json_content_type(content_type: str | None) -> None:
    """A request body must say it is JSON: no ``Content-Type`` is a 415 too.

    A browser page of another origin can POST without a CORS preflight only with no content type or a
    form/text one; requiring a JSON type closes that door.
    """
    if content_type is None or not content_type.strip():
        raise _unsupported("Send the request body with Content-Type: application/json.")
    check_content_type(content_type)


def lone_surrogates(data: Any, limit: int = MAX_REPORTED) -> list[FieldProblem]:
    """Each string (or member name) in ``data`` holding a lone UTF-16 surrogate, which is not Unicode text."""
    found: list[FieldProblem] = []
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack and len(found) < limit:
        item, path = stack.pop()
        if isinstance(item, str):
            if not _is_unicode(item):
                found.append(FieldProblem(path or "(body)", "is not valid Unicode text (a lone surrogate)"))
        elif isinstance(item, dict):
            for key, value in item.items():
                if not _is_unicode(key):
                    found.append(FieldProblem(path or "(body)", "has a member name that is not Unicode"))
                    continue
                stack.append((value, f"{path}.{key}" if path else key))
        elif isinstance(item, list):
            stack.extend((value, f"{path}.{i}" if path else str(i)) for i, value in enumerate(item))
    found.sort(key=lambda p: p.field)
    return found


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether any object or array lies deeper than ``limit`` (the outermost is at depth 1).

    Level by level, keeping only containers: a comprehension per level rather than a step per value.
    """
    level = [data] if type(data) in _CONTAINERS else []
    depth = 1
    while level:
        if depth > limit:
            return True
        level = [
            child
            for item in level
            for child in (item.values() if type(item) is dict else item)
            if type(child) in _CONTAINERS
        ]
        depth += 1
    return False


_CONTAINERS = frozenset((dict, list))
_INT_LIMIT = 10**MAX_INT_DIGITS


def _plainly_valid(data: Any, limit: int) -> bool:
    """Whether ``data`` (as msgspec decoded it) lies within ``limit`` levels and holds only numbers the exact
    parser's hooks accept. One pass, level by level, over containers only."""
    kind = type(data)
    if kind is not dict and kind is not list:
        return _number_in_range(data)
    level = [data]
    depth = 1
    while level:
        if depth > limit:
            return False
        following = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                kind = type(child)
                if kind is dict or kind is list:
                    following.append(child)
                elif (kind is int or kind is float) and not _number_in_range(child):
                    return False
        level = following
        depth += 1
    return True


def _number_in_range(value: Any) -> bool:
    if type(value) is int:
        return bool(-_INT_LIMIT < value < _INT_LIMIT)
    if type(value) is float:
        return bool(-MAX_NUMBER <= value <= MAX_NUMBER)
    return True


def parse_json_body(body: bytes, content_type: str | None, max_depth: int) -> Any:
    """Decode ``body`` as JSON, or raise a :class:`ProblemError` (400, 415) saying what is wrong.

    msgspec decodes first; a body it refuses, or with a number, a depth or an escape the checks question,
    is decoded again by :mod:`json` with the number hooks, which gives the exact problem to report.
    """
    check_content_type(content_type)
    if not body.strip():
        raise ProblemError(
            400, "Empty request body", "A JSON body is required.", type_=TYPE_BASE + "malformed-json"
        )
    try:
        data = _DECODER.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return _exact(body, max_depth)  # the exact parser names what is wrong (or reads UTF-16, a BOM)
    if _plainly_valid(data, max_depth) and not _SURROGATE_ESCAPE.search(body):
        return data
    return _exact(body, max_depth)


def _exact(body: bytes, max_depth: int) -> Any:
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
    if _SURROGATE_ESCAPE.search(body):
        problems = lone_surrogates(data)
        if problems:
            raise invalid_fields(problems, "The request has text that is not valid Unicode")
    return data
