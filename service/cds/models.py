"""CDS Hooks 2.0 request, response and feedback shapes (pydantic), with the context of each hook."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from engine.scenario import Instant

TOPIC_SYSTEM = "urn:clinrules:topic"
OVERRIDE_SYSTEM = "urn:clinrules:override-reason"
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 bearer token characters


class _Open(BaseModel):
    """Unknown members are ignored, as the specification asks of services."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class FhirAuthorization(_Open):
    """The access token the CDS client grants for its FHIR server."""

    access_token: SecretStr = Field(description="Bearer token for the FHIR server (never logged or stored).")
    token_type: Literal["Bearer", "bearer"] = "Bearer"
    expires_in: int = Field(ge=0)
    scope: str
    subject: str
    patient: str | None = None

    @field_validator("access_token")
    @classmethod
    def _bearer_token_characters(cls, value: SecretStr) -> SecretStr:
        # RFC 6750 b64token: only these can go into an Authorization header (anything else cannot be sent).
        if not _B64TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("must be a bearer token: ASCII letters, digits and -._~+/ (then = padding)")
        return value


class CdsRequest(_Open):
    """A CDS Hooks call: hook, instance, optional FHIR server and token, context and prefetch.

    ``fhirServer`` must be a well-formed http(s) URL (else 422 naming it: the specification types it as a
    URL), but its scheme and host are not judged here: a call whose prefetch is complete is evaluated
    whatever it names. Whether the service may fetch from it is decided only when fetching is needed
    (``service.cds.trust``).
    """

    hook: str = Field(min_length=1, max_length=64)
    hookInstance: UUID
    fhirServer: AnyHttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _token_needs_server(self) -> CdsRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            # Pinned to the missing field, so the 422 names fhirServer rather than the whole body.
            raise PydanticCustomError(
                "clinrules",
                "{field}: {message}",
                {"field": "fhirServer", "message": "is required when fhirAuthorization is given"},
            )
        return self


_ID = Field(min_length=1, max_length=256)


class PatientViewContext(_Open):
    """Context of patient-view."""

    userId: str = _ID
    patientId: str = _ID
    encounterId: str | None = Field(default=None, min_length=1, max_length=256)


class DraftOrdersBundle(_Open):
    """``draftOrders``: a FHIR Bundle of the orders being written."""

    resourceType: Literal["Bundle"]
    entry: list[dict[str, Any]] = Field(default_factory=list, max_length=500)

    @field_validator("entry")
    @classmethod
    def _entries_hold_resources(cls, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, entry in enumerate(entries):
            resource = entry.get("resource")
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                raise ValueError(f"entry {i} has no FHIR resource")
        return entries

    def resources(self) -> list[dict[str, Any]]:
        """The order resources."""
        return [e["resource"] for e in self.entry]

    def bundle(self) -> dict[str, Any]:
        """The Bundle as JSON, each entry with its ``fullUrl`` (a draft order may reference a Medication by
        the ``urn:uuid:`` fullUrl of another entry)."""
        return {"resourceType": "Bundle", "entry": self.entry}

    def references(self) -> set[str]:
        """``Type/id`` of every order that has an id."""
        return {f"{r['resourceType']}/{r['id']}" for r in self.resources() if isinstance(r.get("id"), str)}


class OrderSignContext(PatientViewContext):
    """Context of order-sign."""

    draftOrders: DraftOrdersBundle


class OrderSelectContext(OrderSignContext):
    """Context of order-select: the draft orders, and which of them were just selected."""

    selections: list[str] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _selections_are_draft_orders(self) -> OrderSelectContext:
        known = self.draftOrders.references()
        missing = [s for s in self.selections if s not in known]
        if missing:
            raise ValueError(f"selections not found in draftOrders: {', '.join(missing[:5])}")
        return self


HookContext = PatientViewContext | OrderSignContext | OrderSelectContext


# ---- response -------------------------------------------------------------------------------------


class Coding(BaseModel):
    """A FHIR Coding as CDS Hooks uses it."""

    system: str
    code: str
    display: str | None = None


class Source(BaseModel):
    """Where a card's knowledge comes from, with its topic code."""

    label: str
    url: str | None = None
    topic: Coding | None = None


class Action(BaseModel):
    """A change to the EHR's data a suggestion would make."""

    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(BaseModel):
    """A suggestion the clinician may accept."""

    label: str
    uuid: str
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(BaseModel):
    """A link to read more."""

    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"


class Card(BaseModel):
    """A CDS Hooks card."""

    uuid: str | None = None
    summary: str = Field(max_length=139)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None


class CdsResponse(BaseModel):
    """The answer to a hook call: cards, most urgent first (possibly none)."""

    cards: list[Card]


class ServiceDefinition(BaseModel):
    """One CDS service as the discovery document lists it."""

    hook: str
    title: str
    description: str
    id: str
    prefetch: dict[str, str]
    usageRequirements: str | None = None


class Discovery(BaseModel):
    """The discovery document."""

    services: list[ServiceDefinition]


# ---- feedback -------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _no_control_characters(value: str) -> str:
    # Stored text: PostgreSQL refuses NUL in text (a 500 after validation), and a code or system URI never
    # holds a control character, so any is refused here, on every database alike.
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


StoredText = Annotated[str, AfterValidator(_no_control_characters)]
"""Text the audit stores: no control characters (C0, DEL, C1)."""


class AcceptedSuggestion(_Open):
    """A suggestion the clinician accepted."""

    id: str = Field(min_length=1, max_length=64)


class OverrideReasonCoding(_Open):
    """The Coding of an override reason."""

    system: StoredText | None = Field(default=None, max_length=255)
    code: StoredText = Field(min_length=1, max_length=64)
    display: str | None = Field(default=None, max_length=500)


class OverrideReason(_Open):
    """Why a card was overridden: a reason, a comment, or both (CDS Hooks 2.0)."""

    reason: OverrideReasonCoding | None = None
    userComment: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _says_something(self) -> OverrideReason:
        if self.reason is None and not (self.userComment and self.userComment.strip()):
            raise ValueError("must hold a reason, a userComment, or both")
        return self


def _misplaced(field: str, message: str) -> PydanticCustomError:  # the 422 names feedback.N.<field>
    return PydanticCustomError("clinrules", "{field}: {message}", {"field": field, "message": message})


class FeedbackItem(_Open):
    """The outcome of one card."""

    card: UUID
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] = Field(
        default_factory=list, max_length=50, description="At least one when accepted; none when overridden."
    )
    overrideReason: OverrideReason | None = Field(default=None, description="Only when overridden.")
    outcomeTimestamp: Instant = Field(description="When the clinician acted on the card; 1900-2199.")

    @model_validator(mode="after")
    def _consistent(self) -> FeedbackItem:
        # CDS Hooks 2.0: a card is accepted by accepting a suggestion (else the analytics miscount).
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise _misplaced("acceptedSuggestions", "is required when outcome is accepted")
        if self.outcome == "accepted" and self.overrideReason is not None:
            raise _misplaced("overrideReason", "is only for an overridden outcome")
        if self.outcome == "overridden" and self.acceptedSuggestions:
            raise _misplaced("acceptedSuggestions", "is only for an accepted outcome")
        return self


class FeedbackRequest(_Open):
    """A feedback call: one or more card outcomes."""

    feedback: list[FeedbackItem] = Field(min_length=1, max_length=100)
