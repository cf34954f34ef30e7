"""RFC 9457 problem details: the one shape of every error the service returns.

Raise :class:`ProblemError` anywhere; :func:`install_problem_handlers` maps it, FastAPI's request
validation errors, the engine's :class:`ScenarioError`, HTTP errors (404, 405, ...) and unexpected
exceptions (a 500 that reveals nothing of the internals) to ``application/problem+json``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import FieldProblem, ScenarioError

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:clinrules:problem:"
log = logging.getLogger("service.problems")


class FieldError(BaseModel):
    """One wrong field of a request: a dotted location and what is wrong with it."""

    field: str = Field(examples=["context.patientId"])
    message: str = Field(examples=["Field required"])


class Problem(BaseModel):
    """An RFC 9457 problem details object, with clinrules' extension members."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:clinrules:problem:invalid-request",
                    "title": "The request has invalid fields",
                    "status": 422,
                    "detail": "1 field is invalid.",
                    "errors": [{"field": "observations.0.value", "message": "must not be negative"}],
                }
            ]
        },
    )

    type: str = Field(default="about:blank", description="A URI identifying the problem type.")
    title: str = Field(description="A short summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="An explanation of this occurrence.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[FieldError] | None = Field(default=None, description="Each wrong field (422 only).")
    operationOutcome: dict[str, Any] | None = Field(
        default=None, description="A FHIR OperationOutcome (412 from CDS Hooks services)."
    )


class ProblemError(Exception):
    """An error to be answered with a problem document."""

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        type_: str | None = None,
        errors: Sequence[FieldProblem] | None = None,
        extensions: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail
        self.type = type_ or "about:blank"
        self.errors = list(errors) if errors is not None else None
        self.extensions = extensions or {}
        self.headers = headers or {}
        super().__init__(f"{status} {self.title}")


def invalid_fields(
    problems: Sequence[FieldProblem], title: str = "The request has invalid fields"
) -> ProblemError:
    """A 422 listing every wrong field."""
    count = len(problems)
    return ProblemError(
        422,
        title,
        f"{count} field{'s are' if count != 1 else ' is'} invalid.",
        type_=TYPE_BASE + "invalid-request",
        errors=problems,
    )


def problem_response(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    instance: str | None = None,
    errors: Sequence[FieldProblem] | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build an ``application/problem+json`` response; empty members are left out."""
    body: dict[str, Any] = {"type": type_, "title": title or HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [{"field": p.field, "message": p.message} for p in errors]
    for key, value in (extensions or {}).items():
        if value not in (None, "", [], {}):
            body[key] = value
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _loc_to_field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "(body)"


def validation_problems(errors: Sequence[Any]) -> list[FieldProblem]:
    """FieldProblems from pydantic / FastAPI error dicts."""
    result = []
    for err in errors:
        msg = str(err.get("msg", "invalid"))
        ctx = err.get("ctx") or {}
        loc = list(err.get("loc", ()))
        if err.get("type") == "clinrules" and "field" in ctx:
            loc.append(ctx["field"])
            msg = str(ctx.get("message", msg))
        msg = msg.removeprefix("Value error, ")
        result.append(FieldProblem(_loc_to_field(loc), msg))
    return result


async def _problem_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        exc.title,
        exc.detail,
        type_=exc.type,
        instance=request.url.path,
        errors=exc.errors,
        extensions=exc.extensions,
        headers=exc.headers,
    )


async def _scenario_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ScenarioError)
    err = invalid_fields(exc.problems, "The patient data has invalid fields")
    return await _problem_error(request, err)


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return await _problem_error(request, invalid_fields(validation_problems(exc.errors())))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(status).phrase else None
    if status == 404 and detail == "Not Found":
        detail = None
    return problem_response(
        status, detail=detail, instance=request.url.path, headers=dict(exc.headers or {}) or None
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    route = getattr(request.scope.get("route"), "path", "(unmatched)")
    log.error("unhandled error", extra={"error_type": type(exc).__name__, "route": route})
    return problem_response(
        500, "Internal Server Error", "The service failed to handle this request.", instance=request.url.path
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(ScenarioError, _scenario_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json answers."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
