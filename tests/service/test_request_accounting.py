"""What metrics and the access log record of odd requests: invented methods, clients that leave mid-body."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message


def _access_lines(err: str) -> list[dict[str, Any]]:
    records = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    return [r for r in records if r.get("logger") == "service.access"]


def test_an_invented_method_is_counted_as_other(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    long_method = "M" * 8000
    for method in ("MRKMETHOD1", "MRKMETHOD2", long_method):
        assert client.request(method, "/health").status_code == 405
    assert client.get("/health").status_code == 200
    lines = _access_lines(capsys.readouterr().err)
    assert [line["method"] for line in lines] == ["other", "other", "other", "GET"]
    text = client.get("/metrics").text
    assert "MRKMETHOD" not in text and long_method not in text
    assert 'clinrules_http_requests_total{method="other",route="/health",status="405"} 3.0' in text
    assert 'clinrules_http_request_duration_seconds_count{method="other",route="/health"} 3.0' in text
    assert 'clinrules_http_requests_total{method="GET",route="/health",status="200"} 1.0' in text


def _post_then_leave(client: TestClient, path: str, headers: list[tuple[bytes, bytes]]) -> list[Message]:
    """Drive the app with a POST whose client sends 10 bytes of its body and disconnects."""
    messages: list[Message] = [
        {"type": "http.request", "body": b'{"patient"', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(client.app(scope, receive, send))  # type: ignore[arg-type]
    return sent


@pytest.mark.parametrize("headers", [[(b"content-length", b"100")], [(b"transfer-encoding", b"chunked")]])
def test_a_client_leaving_mid_body_is_a_499_on_its_route_not_a_500(
    client: TestClient, capsys: pytest.CaptureFixture[str], headers: list[tuple[bytes, bytes]]
) -> None:
    capsys.readouterr()
    assert _post_then_leave(client, "/evaluate", headers) == []  # nothing is answered to no one
    [line] = _access_lines(capsys.readouterr().err)
    assert line["status"] == 499 and line["route"] == "/evaluate" and line["method"] == "POST"
    text = client.get("/metrics").text
    assert 'clinrules_http_requests_total{method="POST",route="/evaluate",status="499"} 1.0' in text
    assert 'status="500"' not in text


def test_a_client_leaving_mid_body_on_an_unknown_path_is_a_499_unmatched(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    _post_then_leave(client, "/no-such-place", [(b"content-length", b"100")])
    [line] = _access_lines(capsys.readouterr().err)
    assert line["status"] == 499 and line["route"] == "(unmatched)"


def test_a_body_refused_before_routing_names_its_route(client: TestClient) -> None:
    too_large = client.post(
        "/evaluate", content=b"{}", headers={"Content-Type": "application/json", "Content-Length": "99999999"}
    )
    assert too_large.status_code == 413
    text = client.get("/metrics").text
    assert 'clinrules_http_requests_total{method="POST",route="/evaluate",status="413"} 1.0' in text
