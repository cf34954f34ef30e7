"""What the fetch-security tests share: a patient-view call that must fetch everything from one server."""

from __future__ import annotations

import uuid
from typing import Any

from tests.service.test_fhir_fetch import TOKEN, authorization


def fetching_request(server: str, token: str = TOKEN) -> dict[str, Any]:
    """A patient-view call with no prefetch at all: everything must be fetched from ``server``."""
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": server,
        "fhirAuthorization": authorization(token),
        "context": {"userId": "Practitioner/1", "patientId": "pv-iris-1"},
    }
