"""How the evaluation routes answer: JSON encoded by msgspec (or by pydantic-core for a model), and when
they evaluate on the event loop rather than in the thread pool."""

from __future__ import annotations

from typing import Any

import msgspec
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response

INLINE_MAX_BYTES = 64 * 1024
"""Request bodies up to this size are evaluated on the event loop (about a millisecond of CPU for a
40-resource patient); larger ones in the thread pool, so a huge record cannot hold the loop for long."""


_ENCODER = msgspec.json.Encoder()


class FastJSONResponse(JSONResponse):
    """``JSONResponse`` encoded by msgspec: compact UTF-8 as Starlette's, several times faster."""

    def render(self, content: Any) -> bytes:
        """The body: ``content`` as JSON bytes."""
        return _ENCODER.encode(content)


def model_response(model: BaseModel) -> Response:
    """A JSON answer holding ``model`` as FastAPI would send it (by alias, as a response model), encoded by
    pydantic-core without the validation round trip of ``response_model``."""
    return Response(model.model_dump_json(by_alias=True), media_type="application/json")
