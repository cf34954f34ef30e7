"""schemathesis against the service's own OpenAPI document: no 5xx, and every response matches the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("service.app")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.reliability.service_app import started_client  # noqa: E402


def test_every_operation_no_5xx_and_responses_match_the_schema(tmp_path: Path) -> None:
    from schemathesis import checks

    with started_client(tmp_path) as client:
        app = client.app
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        failures: list[str] = []
        operations = 0
        calls: list[int] = []
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1

            @settings(
                max_examples=25,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy())
            def run(case: object) -> None:
                response = case.call()  # type: ignore[attr-defined]
                calls.append(response.status_code)
                case.validate_response(  # type: ignore[attr-defined]
                    response, checks=[checks.not_a_server_error, checks.response_schema_conformance]
                )

            try:
                run()
            except Exception as exc:  # collect per operation, report all
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
        assert operations >= 5
        assert len(calls) >= 5 * operations, "schemathesis hardly called the service"
        assert any(code < 300 for code in calls), "no generated request ever succeeded"
        assert not failures, "\n\n".join(failures)
