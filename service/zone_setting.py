"""``CLINRULES_TIME_ZONE`` as a pydantic setting: :class:`service.settings.Settings` inherits it, and
:func:`service.time_zone.configured_time_zone` reads it alone when a ``.env`` file may set it."""

from __future__ import annotations

from datetime import tzinfo
from functools import cached_property

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.time_zone import time_zone

__all__ = ["ZoneSetting"]


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
