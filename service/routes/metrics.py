"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from service.metrics import Metrics, render

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    summary="Prometheus metrics: requests, latency, evaluations, cards by topic, feedback",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request) -> Response:
    """The metrics of the whole server (all its workers) in the Prometheus text format."""
    registry: Metrics = request.app.state.metrics
    return Response(render(registry), media_type=CONTENT_TYPE_LATEST)
