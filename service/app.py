"""The FastAPI application: ``create_app(settings)`` wires settings, rules, database, routes and errors."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.telemetry import TelemetryConfig

from service import openapi_docs
from service.logging_setup import configure_logging
from service.metrics import Metrics
from service.middleware import ServiceMiddleware
from service.openapi_docs import dated_examples, extra_schemas
from service.problems import install_problem_handlers
from service.routes import analytics, cds_hooks, docs, evaluate, health, metrics, rules, ui
from service.settings import Settings, get_settings
from service.state import build_state

log = logging.getLogger("service.app")

# FastAPI's own OpenTelemetry (request spans, metrics, and logs of validation failures that quote the values
# sent) switches itself on once the process has an OpenTelemetry SDK configured, or exports from OTEL_*
# variables when FASTAPI_OTEL_AUTO_CONFIGURE is set. Those values can be patient data, so it stays off: the
# service reports through its own Prometheus metrics and its access log, which carry none.
FRAMEWORK_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}

_DATED = "x-clinrules-examples-dated"  # the day the document's examples are dated from

DESCRIPTION = """\
Clinical decision support for HIV immune reconstitution (IRIS), thalidomide-class safety, IL-2 and ART timing.

* **Own API**: `POST /evaluate` (project JSON scenario or FHIR R4 Bundle), `GET /rules`, `GET /rules/{id}`.
* **CDS Hooks 2.0**: `GET /cds-services`, `POST /cds-services/{id}` (patient-view, order-select,
  order-sign), `POST /cds-services/{id}/feedback`.
* Every error is RFC 9457 `application/problem+json`.
"""


def _version() -> str:
    try:
        return version("clinrules")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The rules are loaded and compiled once, when the app starts (its lifespan)."""
    cfg = settings or get_settings()
    app_metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(cfg.log_level, cfg.log_rate_per_minute)
        try:
            state = build_state(cfg, app_metrics)
        except Exception as exc:
            # Logs keep no exception messages (they could quote request data); a start-up error holds none
            # and names the file or setting to fix, so it is written out here.
            log.critical("start-up failed", extra={"error_type": type(exc).__name__, "error": str(exc)})
            raise
        app.state.clinrules = state
        # What start-up built (rules, value sets, models) lives as long as the app: out of the collector's
        # reach, the collections that each request's garbage sets off no longer walk it all again.
        gc.collect()
        gc.freeze()
        log.info(
            "service started",
            extra={
                "ruleset_version": state.kb.version,
                "rules": len(state.kb.active_rules),
                "jwt": cfg.jwt_enabled,
            },
        )
        try:
            yield
        finally:
            app.state.clinrules = None
            state.close()
            gc.unfreeze()

    app = FastAPI(
        title="clinrules",
        version=_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        telemetry=FRAMEWORK_TELEMETRY,
        # Starlette's slash redirect builds its Location from the request's Host header (an open redirect
        # to wherever the caller names); a path with a stray trailing slash is a 404 problem instead.
        redirect_slashes=False,
        docs_url=None,  # served by service.routes.docs from local assets (FastAPI's default uses a CDN)
        redoc_url=None,
        openapi_tags=[
            {"name": "evaluate", "description": "Evaluate a patient scenario."},
            {"name": "rules", "description": "The rule catalogue."},
            {"name": "cds-hooks", "description": "CDS Hooks 2.0 services."},
            {"name": "health", "description": "Liveness and readiness."},
            {"name": "metrics", "description": "Prometheus metrics."},
            {"name": "analytics", "description": "Alert analytics for the CDS committee."},
        ],
    )
    app.state.metrics = app_metrics
    app.state.clinrules = None
    install_problem_handlers(app)
    routers = (
        evaluate.router, rules.router, cds_hooks.router, health.router, metrics.router, analytics.router,
        ui.router,
    )  # fmt: skip
    for router in (*routers, docs.router):
        app.include_router(router)
    # Middleware added last runs first: CORS outermost (so that every answer, a 413 too, carries its
    # headers), then the service's own layer (security headers, metrics and access log, last-resort 500,
    # body limits).
    app.add_middleware(
        ServiceMiddleware,
        metrics=app_metrics,
        max_bytes=cfg.max_body_bytes,
        timeout_seconds=cfg.body_timeout_seconds,
    )
    if cfg.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cfg.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
        )

    def openapi() -> dict[str, Any]:
        day = openapi_docs.today()
        if app.openapi_schema and app.openapi_schema.get(_DATED) == day.isoformat():
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, value in extra_schemas().items():
            components.setdefault(name, value)
        # The examples are dated from today, so each keeps producing the cards it documents.
        dated_examples(schema, day)
        schema[_DATED] = day.isoformat()
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
