"""What browsers and hostile pages see: JSON content type required, security headers, links not from Host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from service.app import create_app
from service.routes.ui import STATIC_DIR
from service.settings import Settings
from service.suites.steps.fixtures import load_fixture

POSTS = ["/evaluate", "/cds-services/patient-view", "/cds-services/patient-view/feedback"]


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("content_type", [None, "", "text/plain", "application/x-www-form-urlencoded"])
def test_a_post_without_a_json_content_type_is_415(
    client: TestClient, path: str, content_type: str | None
) -> None:
    # No content type (or a form/text one) is what a page of another origin may send without a CORS preflight.
    headers = {} if content_type is None else {"content-type": content_type}
    answer = client.post(path, content=b'{"hook": "patient-view"}', headers=headers)
    assert answer.status_code == 415, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "application/json" in answer.json()["detail"]


def test_json_content_types_are_accepted(client: TestClient) -> None:
    body = load_fixture("patient-view-no-alerts")
    for content_type in ("application/json", "application/json; charset=utf-8", "application/fhir+json"):
        answer = client.post("/cds-services/patient-view", json=body, headers={"content-type": content_type})
        assert answer.status_code == 200, (content_type, answer.text)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/ui"),
        ("GET", "/"),
        ("GET", "/ui/static/app.js"),
        ("GET", "/rules"),
        ("GET", "/health"),
        ("GET", "/cds-services"),
        ("GET", "/no-such-page"),
        ("POST", "/evaluate"),
    ],
)
def test_every_answer_carries_the_security_headers(client: TestClient, method: str, path: str) -> None:
    answer = client.request(method, path, follow_redirects=False)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    csp = _policy(answer.headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'none'"]


def test_the_page_policy_allows_exactly_what_the_page_loads(client: TestClient) -> None:
    csp = _policy(client.get("/ui").headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert "'self'" in csp["connect-src"]
    page = _PageParts()
    page.feed((STATIC_DIR / "index.html").read_text(encoding="utf-8"))
    assert page.inline_scripts == 0, "an inline <script> would be blocked by script-src 'self'"
    assert page.inline_styles == 0, "a <style> or style= would be blocked by style-src 'self'"
    assert page.handlers == [], "inline event handlers are blocked by the policy"
    for url in page.urls:
        assert url.startswith("/ui/static/") or url.startswith("data:") or url.startswith("#"), url
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert not re.search(r"style=|\.style\.|\bon[a-z]+=|eval\(|new Function", script)


def test_a_500_is_a_problem_without_traceback_or_request_data(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(settings)
    boom = APIRouter()

    @boom.post("/boom")
    def explode(body: dict[str, Any]) -> None:
        raise RuntimeError(f"could not read {body['patient']}")

    app.include_router(boom)
    with TestClient(app) as client:  # raises if an exception reaches the server
        answer = client.post("/boom", json={"patient": "Patient/MRN-LEAK-77"})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert "MRN-LEAK-77" not in answer.text
    logged = capsys.readouterr().err
    assert "RuntimeError" in logged
    assert "MRN-LEAK-77" not in logged and "Traceback" not in logged


def _source_urls(client: TestClient, **headers: str) -> list[str]:
    request = load_fixture("patient-view-iris-risk")
    answer = client.post("/cds-services/patient-view", json=request, headers=headers)
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    assert cards
    return [card["source"]["url"] for card in cards]


def test_card_links_never_come_from_the_host_header(client: TestClient) -> None:
    # No public URL set: links name the address the connection arrived at (the test client's "testserver").
    for url in _source_urls(client, Host="evil.example"):
        assert url.startswith("http://testserver/ui#rule-"), url


def test_card_links_use_the_public_url(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'a.db'}", public_url="https://cds.example.org/", _env_file=None
    )
    with TestClient(create_app(settings)) as client:
        for url in _source_urls(client, Host="evil.example"):
            assert url.startswith("https://cds.example.org/ui#rule-"), url


@pytest.mark.parametrize(
    "value", ["cds.example.org", "https://cds.example.org/?x=1", "ftp://cds.example.org"]
)
def test_a_public_url_must_be_an_absolute_http_url(value: str) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        Settings(public_url=value, _env_file=None)


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {d[0]: d[1:] for d in directives}


class _PageParts(HTMLParser):
    """What of an HTML page a Content-Security-Policy governs."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.inline_styles = 0
        self.handlers: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and not named.get("src"):
            self.inline_scripts += 1
        if tag == "style" or "style" in named:
            self.inline_styles += 1
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        for name in ("src", "href"):
            value = named.get(name)
            if value and (tag in ("script", "link", "img")):
                self.urls.append(value)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/cds-services/"),
        ("POST", "/cds-services/order-sign/"),
        ("POST", "/cds-services/order-sign/feedback/"),
        ("GET", "/docs/"),
        ("GET", "/rules/"),
        ("GET", "/ui/analytics/"),
    ],
)
def test_a_trailing_slash_is_a_404_problem_not_a_redirect_to_the_host(
    client: TestClient, method: str, path: str
) -> None:
    # Starlette's slash redirect built its Location from Host: http://evil.example/cds-services.
    body = load_fixture("order-sign-thalidomide-pregnant") if method == "POST" else None
    answer = client.request(method, path, json=body, headers={"Host": "evil.example"}, follow_redirects=False)
    assert answer.status_code == 404 and "location" not in answer.headers, answer.headers
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["instance"] == path


@pytest.mark.parametrize(
    "path", ["/", "/ui", "/ui/", "/ui/analytics", "/docs", "/cds-services", "/openapi.json"]
)
def test_the_addresses_the_readme_gives_still_answer(client: TestClient, path: str) -> None:
    answer = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    if answer.status_code == 307:  # the home page and /ui/ lead to /ui, by path alone
        assert answer.headers["location"] == "/ui"
        answer = client.get(answer.headers["location"])
    assert answer.status_code == 200, (path, answer.text)
