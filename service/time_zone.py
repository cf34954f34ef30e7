"""``CLINRULES_TIME_ZONE``: the clinic's IANA time zone, read alone so that ``clinrules evaluate`` needs none
of the service's other settings (:class:`service.settings.Settings` inherits it)."""

from __future__ import annotations

from datetime import UTC, tzinfo
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ZoneSetting", "configured_time_zone", "time_zone"]


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


class ZoneSetting(BaseSettings):
    """``CLINRULES_TIME_ZONE`` alone, for the commands that evaluate without the service's other settings;
    :class:`Settings` has it too."""

    model_config = SettingsConfigDict(env_prefix="CLINRULES_", env_file=".env", extra="ignore")

    time_zone: str = Field(
        default="UTC",
        description="The clinic's IANA time zone (e.g. America/Chicago): calendar-day windows count in it "
        "when the evaluation time carries no UTC offset of its own (CDS Hooks' now).",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        time_zone(value)
        return value

    @cached_property
    def zone(self) -> tzinfo:
        """The clinic's time zone (:attr:`time_zone`)."""
        return time_zone(self.time_zone)


def configured_time_zone() -> tzinfo:
    """``CLINRULES_TIME_ZONE`` (environment or ``.env``); a ValueError names the setting when it is wrong."""
    try:
        return ZoneSetting().zone
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise ValueError(f"CLINRULES_TIME_ZONE: {message}") from None
