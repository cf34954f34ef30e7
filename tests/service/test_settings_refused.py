"""Refused settings: each command names the setting and the problem, exits 2, and never echoes a value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.settings_check import SettingsRefused, read_settings

ROOT = Path(__file__).resolve().parents[2]


def _refusal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> str:
    monkeypatch.chdir(tmp_path)  # no .env file
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsRefused) as refused:
        read_settings()
    return str(refused.value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "CLINRULES_FHIR_TRUSTED_SERVERS",
            '["https://fhir.example.org/ok", "https://svc:S3cretPW@fhir.example.org/r4"]',
            "CLINRULES_FHIR_TRUSTED_SERVERS: entry 2 (https://fhir.example.org/r4): a base URL has no user",
        ),
        (
            "CLINRULES_FHIR_TRUSTED_SERVERS",
            '["https://fhir.example.org/r4?token=S3cretPW#S3cretPW"]',
            "CLINRULES_FHIR_TRUSTED_SERVERS: entry 1 (https://fhir.example.org/r4): a base URL has no user",
        ),
        (
            "CLINRULES_FHIR_TRUSTED_SERVERS_BY_ISSUER",
            '{"https://a.example": [], "https://b.example": ["https://fhir.example.org/r4?token=S3cretPW"]}',
            "CLINRULES_FHIR_TRUSTED_SERVERS_BY_ISSUER: issuer 2, entry 1 (https://fhir.example.org/r4): a",
        ),
        (
            "CLINRULES_FHIR_TRUSTED_SERVERS_BY_ISSUER",
            '{"https://u:S3cretPW@iss.example?k=S3cretPW": 5}',
            "CLINRULES_FHIR_TRUSTED_SERVERS_BY_ISSUER (key https://iss.example): Input should be a valid",
        ),
        (
            "CLINRULES_FHIR_ALLOWED_NETWORKS",
            '["10.0.0.0/8", "S3cretPW"]',
            "CLINRULES_FHIR_ALLOWED_NETWORKS: entry 2 is not an IP network",
        ),
    ],
)
def test_a_refused_url_or_network_is_named_by_position_without_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, expected: str
) -> None:
    message = _refusal(monkeypatch, tmp_path, **{name: value})
    assert expected in message
    assert "S3cretPW" not in message and "svc" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CLINRULES_JWT_ISSUERS", '{"https://iss": {"keys": [{"kty":"RSA","d":"S3cretKEY"'),
        ("CLINRULES_THRESHOLDS", '{"iris-risk": {"cd4_below": "S3cretKEY"}'),
        ("CLINRULES_FHIR_TRUSTED_SERVERS", '["https://u:S3cretKEY@x'),
    ],
)
def test_malformed_json_in_a_setting_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    message = _refusal(monkeypatch, tmp_path, **{name: value})
    assert message.startswith("clinrules: the settings are refused:")
    assert f"{name}: not valid JSON" in message and "S3cretKEY" not in message


@pytest.mark.parametrize(
    "command", [["serve"], ["db", "current"], ["db", "upgrade"], ["db", "prune"], ["report"]]
)
def test_every_command_reading_settings_refuses_them_in_one_line_and_exits_2(
    tmp_path: Path, command: list[str]
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CLINRULES_")},
        "PYTHONPATH": str(ROOT),
        "CLINRULES_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
        "CLINRULES_PORT": "0",
        "CLINRULES_JWT_ISSUERS": '{"https://iss": {"keys": [{"kty":"RSA","d":"S3cretKEY"',
    }
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "S3cretKEY" not in done.stderr + done.stdout
    assert "clinrules: the settings are refused:\n  CLINRULES_JWT_ISSUERS: not valid JSON" in done.stderr
