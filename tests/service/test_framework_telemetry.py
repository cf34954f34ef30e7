"""FastAPI's built-in OpenTelemetry stays off: its logs of validation failures quote the values a client sent,
which can be patient data, and it would switch itself on as soon as the process had an SDK configured."""

from __future__ import annotations

from typing import Any

import fastapi.telemetry._asgi as framework_asgi
import fastapi.telemetry._runtime as framework_runtime
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings


def test_requests_never_reach_fastapis_telemetry_even_with_an_sdk_configured(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fixture: Any
) -> None:
    # As if an OpenTelemetry SDK had installed global providers (opentelemetry-instrument, a platform image).
    monkeypatch.setattr(framework_asgi, "_unconfigured", lambda provider: False)
    seen: list[str] = []
    original = framework_asgi.NativeTelemetry.__call__

    async def recording(self: Any, **kwargs: Any) -> None:
        seen.append(kwargs["scope"]["path"])
        await original(self, **kwargs)

    monkeypatch.setattr(framework_asgi.NativeTelemetry, "__call__", recording)
    with TestClient(create_app(settings)) as client:
        good = client.post("/cds-services/patient-view", json=fixture("patient-view-iris-risk"))
        bad = client.post("/evaluate", json={"patient": {"id": "p1", "birth_date": "not a date"}})
    assert good.status_code == 200 and good.json()["cards"]
    assert bad.status_code in (400, 422)
    assert seen == []


def test_fastapi_does_not_set_up_exporters_when_the_environment_asks(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9/otlp")
    asked: list[str] = []

    def endpoint(signal: str) -> None:
        asked.append(signal)

    monkeypatch.setattr(framework_runtime, "_export_endpoint", endpoint)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
    assert asked == []
