"""Prometheus metrics, JSON logs without tokens or patient data, CORS."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.logging_setup import RedactingFilter, scrub
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
    # The quick test that lets plain texts through untouched must not miss a token in any case.
    assert "s3cr3t" not in scrub("authorization: BEARER s3cr3t")
    assert "s3cr3t" not in scrub("x=1; bEaReR\ts3cr3t")
    assert scrub("POST /cds-services/{service_id} 200") == "POST /cds-services/{service_id} 200"


def test_redacting_filter_scrubs_extra_fields_but_not_the_call_site() -> None:
    jwt = "eyJhbGciOiJFUzM4NCJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"
    # Extra fields a caller added, beside the call site's own attributes.
    fields = {"name": "service.access", "msg": "request", "pathname": "/srv/Bearer abc/y.py", "funcName": "f"}
    record = logging.makeLogRecord({**fields, "route": "Bearer s3cr3t", "token": jwt})
    assert RedactingFilter().filter(record)
    assert "s3cr3t" not in record.__dict__["route"] and record.__dict__["token"] == "[redacted-jwt]"
    assert record.pathname == "/srv/Bearer abc/y.py"  # set by logging from the code, left alone


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


def test_one_access_line_per_hook_call_names_the_service_and_its_cards(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    client.post("/cds-services/patient-view", json=load_fixture("patient-view-iris-risk"))
    records = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    service_lines = [r for r in records if r.get("logger", "").startswith("service")]
    assert len(service_lines) == 1, service_lines  # one structured line per request, no second one
    line = service_lines[0]
    assert line["logger"] == "service.access" and line["status"] == 200
    assert line["route"] == "/cds-services/{service_id}" and line["service"] == "patient-view"
    assert isinstance(line["cards"], int) and line["cards"] >= 1 and line["fetched"] == []


def test_a_large_body_is_evaluated_in_the_thread_pool_and_a_small_one_on_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.concurrency import run_in_threadpool as original

    from service.responses import INLINE_MAX_BYTES
    from service.routes import cds_hooks

    hops: list[str] = []

    async def counted(func: Any, *args: Any) -> Any:
        hops.append(func.__name__)
        return await original(func, *args)

    monkeypatch.setattr(cds_hooks, "run_in_threadpool", counted)
    request = load_fixture("patient-view-iris-risk")
    small = client.post("/cds-services/patient-view", json=request)
    body = json.dumps(request)
    padded = body[:-1] + " " * (INLINE_MAX_BYTES + 1 - len(body)) + "}"  # the same JSON, larger
    large = client.post(
        "/cds-services/patient-view", content=padded, headers={"Content-Type": "application/json"}
    )
    assert small.status_code == large.status_code == 200
    assert len(small.json()["cards"]) == len(large.json()["cards"]) >= 1
    assert hops == ["assess"]
