"""Resources read whole: head and body (and an observation's own value) in one pass, in one call per type.

Most resources are valid throughout, so the intake first reads each resource of a type the rules read as one
narrow model holding everything the head and the body name (``ObservationWhole`` ...), every resource of a
type in one msgspec call. When a resource is not valid throughout, it is read in two steps instead
(``engine.fhir.models``: the head, then the body only when a rule can use it), so what is refused, and the
message, is the same as if the whole read had never been tried: an unread resource's malformed body is never
a problem.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from engine.fhir.fhir_time import decode_hook
from engine.fhir.gather import Found
from engine.fhir.models import (
    CodeableConcept,
    ConditionHead,
    DispenseRequest,
    MedicationHead,
    ObservationHead,
    Period,
    Quantity,
    Reference,
    Time,
)

T = TypeVar("T")


class ObservationWhole(ObservationHead, frozen=True):
    """Observation head and body, and the value of the observation itself (not of its components)."""

    subject: Reference | None = None
    effectiveDateTime: Time | None = None
    effectiveInstant: Time | None = None
    effectivePeriod: Period | None = None
    issued: Time | None = None
    valueQuantity: Quantity | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueBoolean: bool | None = None


class ConditionWhole(ConditionHead, frozen=True):
    """Condition head and body."""

    subject: Reference | None = None
    clinicalStatus: CodeableConcept | None = None
    onsetDateTime: Time | None = None
    onsetPeriod: Period | None = None
    recordedDate: Time | None = None


class MedicationRequestWhole(MedicationHead, frozen=True):
    """MedicationRequest head and body."""

    subject: Reference | None = None
    authoredOn: Time | None = None
    dispenseRequest: DispenseRequest | None = None


class MedicationStatementWhole(MedicationHead, frozen=True):
    """MedicationStatement head and body."""

    subject: Reference | None = None
    effectiveDateTime: Time | None = None
    effectivePeriod: Period | None = None


_LISTS: dict[str, Any] = {
    "Observation": list[ObservationWhole],
    "Condition": list[ConditionWhole],
    "MedicationRequest": list[MedicationRequestWhole],
    "MedicationStatement": list[MedicationStatementWhole],
}
_WHOLE: dict[str, type[Any]] = {
    "Observation": ObservationWhole,
    "Condition": ConditionWhole,
    "MedicationRequest": MedicationRequestWhole,
    "MedicationStatement": MedicationStatementWhole,
}
_FAILED = (msgspec.ValidationError, OverflowError, SystemError)


def whole(data: Any, kind: type[T]) -> T | None:
    """``data`` as ``kind`` when it is valid throughout, else None (the caller then reads it in parts)."""
    try:
        return msgspec.convert(data, kind, strict=True, dec_hook=decode_hook)
    except _FAILED:
        return None


def read_wholes(found: list[Found]) -> None:
    """Read every resource of a type the rules read whole, one call per type (each alone when one of its
    type is not valid throughout), and keep the result on each :class:`Found`."""
    groups: dict[str, list[Found]] = {}
    for item in found:
        if item.type in _WHOLE:
            groups.setdefault(item.type, []).append(item)
    for kind, members in groups.items():
        try:
            values = msgspec.convert(
                [m.raw for m in members], _LISTS[kind], strict=True, dec_hook=decode_hook
            )
        except _FAILED:
            values = [whole(m.raw, _WHOLE[kind]) for m in members]
        for member, value in zip(members, values, strict=True):
            member.whole, member.whole_read = value, True


def whole_of(found: Found, kind: type[T]) -> T | None:
    """``found`` read whole as ``kind`` (by :func:`read_wholes`, which reads each resource as the model of
    its type, or now); None when not valid throughout."""
    return found.whole if found.whole_read else whole(found.raw, kind)
