"""Prometheus metrics, JSON logs without tokens or patient data, CORS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.logging_setup import scrub
from service.settings import Settings
from service.suites.steps.fixtures import load_fixture


def test_metrics_count_requests_latency_and_cards(client: TestClient) -> None:
    request = load_fixture("order-sign-thalidomide-pregnant")
    client.post("/cds-services/order-sign", json=request)
    text = client.get("/metrics").text
    assert (
        'clinrules_http_requests_total{method="POST",route="/cds-services/{service_id}",status="200"} 1.0'
        in text
    )
    assert "clinrules_http_request_duration_seconds_bucket" in text
    assert (
        'clinrules_cards_total{indicator="critical",service="order-sign",topic="thalidomide-pregnancy"} 1.0'
        in text
    )


def test_logs_are_json_without_patient_data(client: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    request = load_fixture("patient-view-iris-risk")
    client.post("/cds-services/patient-view", json=request, headers={"Authorization": "Bearer abc.def.ghi"})
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert lines
    for line in lines:
        json.loads(line)
        assert "pv-iris-1" not in line and "abc.def.ghi" not in line and "dolutegravir" not in line


def test_scrub_removes_tokens() -> None:
    assert "s3cr3t" not in scrub("Authorization: Bearer s3cr3t")
    assert "redacted-jwt" in scrub("token eyJhbGciOiJFUzM4NCJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl")


def test_cors_configurable(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        cors_origins="https://ehr.example.org",
        _env_file=None,
    )
    assert settings.cors_origins == ["https://ehr.example.org"]
    with TestClient(create_app(settings)) as client:
        response = client.options(
            "/cds-services/patient-view",
            headers={"Origin": "https://ehr.example.org", "Access-Control-Request-Method": "POST"},
        )
        assert response.headers["access-control-allow-origin"] == "https://ehr.example.org"
        denied = client.get("/cds-services", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in denied.headers
