"""Loading the CDS Hooks request fixtures in ``service/suites/steps/cds/``, with dates relative to today."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from service.suites.topics import SuiteMistake

FIXTURES = Path(__file__).resolve().parent / "cds"
_TOKEN = re.compile(r"\$(DAYS|YEARS)\((-?\d+)\)")


def _shift(match: re.Match[str]) -> str:
    today = datetime.now(UTC).date()
    amount = int(match.group(2))
    if match.group(1) == "DAYS":
        return (today + timedelta(days=amount)).isoformat()
    year = today.year + amount
    day = today.day if not (today.month == 2 and today.day == 29) else 28
    return date(year, today.month, day).isoformat()


def fixture_names() -> list[str]:
    """The names of the CDS Hooks request fixtures, sorted."""
    return sorted(p.stem for p in FIXTURES.glob("*.json"))


def load_fixture(name: str) -> dict[str, Any]:
    """The fixture ``name`` (with or without ``.json``) as a dict, its relative dates resolved; a name that is
    not one of :func:`fixture_names` is a :class:`~service.suites.topics.SuiteMistake` listing them."""
    stem = name.removesuffix(".json")
    names = fixture_names()
    if stem not in names:
        raise SuiteMistake(
            f'there is no CDS Hooks request "{name}"; the requests are: {", ".join(names)} '
            "(each described in service/suites/steps/cds/README.md)"
        )
    file = FIXTURES / f"{stem}.json"
    data: dict[str, Any] = json.loads(_TOKEN.sub(_shift, file.read_text(encoding="utf-8")))
    return data
