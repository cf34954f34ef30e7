"""The only trace of a patient the service keeps: a salted SHA-256 of the patient id."""

from __future__ import annotations

import hashlib
import hmac


def hash_patient_id(patient_id: str | None, salt: bytes) -> str | None:
    """HMAC-SHA-256 of the id under ``salt`` (hex), or None when there is no id."""
    if not patient_id:
        return None
    return hmac.new(salt, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()
