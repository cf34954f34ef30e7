"""``CLINRULES_TIME_ZONE``: the clinic's IANA time zone, read alone so that ``clinrules evaluate`` needs none
of the service's other settings (:class:`service.zone_setting.ZoneSetting`, which the service's settings
inherit, is the same setting in pydantic)."""

from __future__ import annotations

import os
from datetime import UTC, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["configured_time_zone", "time_zone"]


def time_zone(name: str) -> tzinfo:
    """The IANA time zone ``name`` (``UTC`` needs no zone database); a ValueError says what is wrong."""
    name = name.strip()
    if name in ("UTC", "Etc/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"{name[:64]!r} is not an IANA time zone name (e.g. America/Chicago, "
            "Africa/Kampala, UTC; names are case-sensitive)"
        ) from None


def configured_time_zone() -> tzinfo:
    """``CLINRULES_TIME_ZONE`` (environment or ``.env``); a ValueError names the setting when it is wrong."""
    # As pydantic-settings reads it: the name in any case.
    named = next((v for k, v in os.environ.items() if k.upper() == "CLINRULES_TIME_ZONE"), None)
    if named is not None or not Path(".env").is_file():
        # Read here without pydantic-settings, whose import (asyncio, ssl, dotenv) would cost a short
        # command such as `clinrules evaluate` about 40 ms; only a .env file needs it.
        try:
            return time_zone(named if named is not None else "UTC")
        except ValueError as exc:
            raise ValueError(f"CLINRULES_TIME_ZONE: {exc}") from None
    from pydantic import ValidationError

    from service.zone_setting import ZoneSetting

    try:
        return ZoneSetting().zone
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise ValueError(f"CLINRULES_TIME_ZONE: {message}") from None
