"""CLINRULES_TIME_ZONE: an IANA zone name, UTC by default, refused at start-up with the setting named."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.settings import Settings
from service.settings_check import SettingsRefused, read_settings
from service.time_zone import configured_time_zone


def test_default_is_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLINRULES_TIME_ZONE", raising=False)
    assert Settings(_env_file=None).zone is UTC


def test_a_valid_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINRULES_TIME_ZONE", "America/Chicago")
    assert Settings(_env_file=None).zone == ZoneInfo("America/Chicago")
    assert configured_time_zone() == ZoneInfo("America/Chicago")


@pytest.mark.parametrize("name", ["Mars/Base", "america/chicago", "../etc/passwd", ""])
def test_an_invalid_zone_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("CLINRULES_TIME_ZONE", name)
    with pytest.raises(SettingsRefused, match=r"CLINRULES_TIME_ZONE: .* is not an IANA time zone name"):
        read_settings()
    with pytest.raises(ValueError, match=r"^CLINRULES_TIME_ZONE: .* is not an IANA time zone name"):
        configured_time_zone()


def test_a_dotenv_file_sets_the_zone_for_the_command_line_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CLINRULES_TIME_ZONE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert configured_time_zone() is UTC  # no .env file: the default, read without pydantic-settings
    (tmp_path / ".env").write_text("CLINRULES_TIME_ZONE=Africa/Kampala\n", encoding="utf-8")
    assert configured_time_zone() == ZoneInfo("Africa/Kampala")
    (tmp_path / ".env").write_text("CLINRULES_TIME_ZONE=Mars/Base\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^CLINRULES_TIME_ZONE: 'Mars/Base' is not an IANA"):
        configured_time_zone()
