"""Request bodies are decoded by msgspec, and by :mod:`json` with number hooks when anything is in doubt.

Whatever the path, the outcome (the value, or the problem reported) is the exact parser's.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.json_body import _exact, parse_json_body
from service.problems import ProblemError

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = [
    ROOT / "tests" / "fixtures" / "fhir",
    ROOT / "service" / "suites" / "steps" / "cds",
    ROOT / "rules",
]
LIMIT = 16


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


BODIES = [
    b'{"a": 1, "b": [1.5, -0, true, null, "x"]}',
    b"123",
    b'"text"',
    b'{"big": 9999999999999999}',  # 16 digits: the largest accepted
    b'{"big": 10000000000000000}',  # 17 digits
    b'{"big": -99999999999999999999999}',
    b'{"f": 1000000000000000.0}',  # exactly the largest float accepted
    b'{"f": 1e16}',
    b'{"f": 1e400}',
    b'{"f": -1e300}',
    b'{"f": NaN}',
    b'{"f": Infinity}',
    _nested(LIMIT),
    _nested(LIMIT + 1),
    b'{"a":' * (LIMIT + 1) + b"1" + b"}" * (LIMIT + 1),
    _nested(5000),
    b'{"s": "\\ud83d\\ude00"}',  # an escaped surrogate pair: one emoji, valid
    b'{"s": "\\ud800"}',  # a lone surrogate
    b'{"\\udc00": 1}',
    b"\xef\xbb\xbf{}",  # a UTF-8 byte-order mark
    '{"a": "é"}'.encode("utf-16"),
    b'{"a": "\xff"}',
    b'{"a": 1} trailing',
    b'{"a": 1,}',
    b'{"a": "\x01"}',
    b'{"a": 1, "a": 2}',
]


def _outcome(parse: Any, body: bytes) -> tuple[str, Any]:
    try:
        return "value", parse(body)
    except ProblemError as exc:
        return "problem", (exc.status, exc.title, exc.detail)


@pytest.mark.parametrize("body", BODIES, ids=[repr(b[:24]) for b in BODIES])
def test_every_body_gets_the_exact_parsers_value_or_problem(body: bytes) -> None:
    fast = _outcome(lambda b: parse_json_body(b, "application/json", LIMIT), body)
    exact = _outcome(lambda b: _exact(b, LIMIT), body)
    assert fast == exact


def test_real_requests_decode_to_what_the_json_module_reads() -> None:
    files = sorted(path for folder in REQUESTS for path in folder.rglob("*.json"))
    assert len(files) > 10
    for path in files:
        body = path.read_bytes()
        assert parse_json_body(body, "application/json", 64) == _exact(body, 64), path.name


def test_a_plain_body_is_decoded_without_the_slow_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the json module was used for a plain body")

    monkeypatch.setattr("service.json_body.json.loads", refuse)
    body = b'{"hook": "patient-view", "prefetch": {"n": [1, 2.5, {"x": "y"}]}}'
    assert parse_json_body(body, "application/json", LIMIT) == {
        "hook": "patient-view",
        "prefetch": {"n": [1, 2.5, {"x": "y"}]},
    }


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, ensure_ascii=st.booleans())
def test_any_json_value_gets_the_exact_parsers_outcome(value: Any, ensure_ascii: bool) -> None:
    body = json.dumps(value, ensure_ascii=ensure_ascii).encode()
    for limit in (8, 3):
        fast = _outcome(partial(parse_json_body, content_type="application/json", max_depth=limit), body)
        assert fast == _outcome(partial(_exact, max_depth=limit), body)
