"""Malformed, oversized and hostile requests get a 4xx problem, never a 500; a real 500 reveals nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from service.state import ServiceState
from service.suites.steps.fixtures import load_fixture

PATHS = ["/evaluate", "/cds-services/patient-view", "/cds-services/patient-view/feedback"]


def _problem(response: object, status: int) -> None:
    assert getattr(response, "status_code") == status, getattr(response, "text")  # noqa: B009
    assert getattr(response, "headers")["content-type"] == "application/problem+json"  # noqa: B009


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"", 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"a":' * 200 + b"1" + b"}" * 200, 400),
        (b'{"x": 1e999}', 400),
        (b'{"x": NaN}', 400),
        (b'{"x": ' + b"9" * 5000 + b"}", 400),
        (b"\xff\xfe\x00garbage", 400),
        (b'"just a string"', 422),
        (b"[1, 2, 3]", 422),
        (b"null", 422),
    ],
)
def test_hostile_bodies(client: TestClient, path: str, body: bytes, status: int) -> None:
    _problem(client.post(path, content=body, headers={"content-type": "application/json"}), status)


@pytest.mark.parametrize("path", PATHS)
def test_wrong_content_type_is_415(client: TestClient, path: str) -> None:
    _problem(
        client.post(path, content=b"a=1", headers={"content-type": "application/x-www-form-urlencoded"}), 415
    )


def test_huge_cd4_value_is_refused(client: TestClient) -> None:
    scenario = {"observations": [{"kind": "cd4", "time": "2026-05-20", "value": 1e300, "unit": "cells/uL"}]}
    _problem(client.post("/evaluate", json=scenario), 400)


def test_wrong_method_is_405(client: TestClient) -> None:
    _problem(client.get("/evaluate"), 405)
    _problem(client.delete("/cds-services"), 405)


def test_body_limit_413(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", max_body_bytes=4096, _env_file=None)
    with TestClient(create_app(settings)) as client:
        big = b'{"patient": {"id": "' + b"x" * 10_000 + b'"}}'
        _problem(client.post("/evaluate", content=big, headers={"content-type": "application/json"}), 413)

        def chunks() -> Iterator[bytes]:
            for _ in range(10):
                yield b" " * 1000

        _problem(
            client.post("/evaluate", content=chunks(), headers={"content-type": "application/json"}), 413
        )
        _problem(client.post("/evaluate", content=b"{}", headers={"content-length": "abc"}), 400)


def test_unexpected_error_is_500_without_internals(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        state: ServiceState = client.app.state.clinrules  # type: ignore[attr-defined]

        def boom(*args: object, **kwargs: object) -> None:
            raise RuntimeError("secret internal detail /etc/passwd")

        monkeypatch.setattr(state.evaluator, "evaluate", boom)
        response = client.post("/cds-services/patient-view", json=load_fixture("patient-view-no-alerts"))
        _problem(response, 500)
        assert "secret" not in response.text and "RuntimeError" not in response.text


def test_an_oversized_body_still_carries_cors_headers(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        cors_origins=["https://sandbox.example"],
        max_body_bytes=1024,
        _env_file=None,
    )
    with TestClient(create_app(settings)) as client:
        answer = client.post(
            "/evaluate",
            content=b"{" + b" " * 4096 + b"}",
            headers={"content-type": "application/json", "origin": "https://sandbox.example"},
        )
    assert answer.status_code == 413
    assert answer.headers["access-control-allow-origin"] == "https://sandbox.example"
