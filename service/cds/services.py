"""The three CDS services (patient-view, order-select, order-sign) and their prefetch templates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from engine.valuesets import ValueSets
from service.cds.models import (
    OrderSelectContext,
    OrderSignContext,
    PatientViewContext,
    ServiceDefinition,
)

PATIENT = "{{context.patientId}}"


@dataclass(frozen=True)
class CdsService:
    """A service this server offers for one hook."""

    id: str
    hook: str
    title: str
    description: str
    context_model: type[PatientViewContext]

    def definition(self, prefetch: dict[str, str]) -> ServiceDefinition:
        """The discovery entry."""
        return ServiceDefinition(
            hook=self.hook, title=self.title, description=self.description, id=self.id, prefetch=prefetch
        )


SERVICES: dict[str, CdsService] = {
    s.id: s
    for s in (
        CdsService(
            id="patient-view",
            hook="patient-view",
            title="clinrules: HIV IRIS and thalidomide safety",
            description=(
                "Checks the patient's record for IRIS risk and suspicion, ART timing, IL-2 and "
                "thalidomide-class safety when the chart is opened."
            ),
            context_model=PatientViewContext,
        ),
        CdsService(
            id="order-select",
            hook="order-select",
            title="clinrules: checks on selected orders",
            description=(
                "Checks draft orders as they are selected (thalidomide-class drugs, ART, IL-2, "
                "corticosteroids) against the patient's record; draft orders count as being ordered now."
            ),
            context_model=OrderSelectContext,
        ),
        CdsService(
            id="order-sign",
            hook="order-sign",
            title="clinrules: checks before signing orders",
            description=(
                "Checks the orders about to be signed against the patient's record; may suggest removing a "
                "draft thalidomide-class order for a pregnant patient."
            ),
            context_model=OrderSignContext,
        ),
    )
}


def prefetch_templates(value_sets: ValueSets) -> dict[str, str]:
    """Prefetch templates: the patient, its observations, conditions, medication requests and statements.

    Made once per value sets (kept in their memos, dropped with them) and shared: callers must not change it.
    """
    memo = value_sets.memos["prefetch-templates"]
    templates: dict[str, str] | None = memo.get("templates")
    if templates is None:
        templates = memo["templates"] = _templates(value_sets)
    return templates


def _templates(value_sets: ValueSets) -> dict[str, str]:
    assessment = value_sets.systems.get("assessment", "urn:clinrules:assessment")
    # Every code of the observation concepts (LOINC, CIEL, SNOMED CT, WHO SMART HIV), not only the anchors.
    codes = [f"{system}|{code}" for system, code in value_sets.observation_codes()]
    codes += [f"{assessment}|{a}" for a in value_sets.assessments]
    # And the status questions (WHO SMART HIV "HIV status"): a record may state HIV only as such an answer.
    codes += [c for c in (f"{s}|{code}" for s, code in value_sets.status_question_codes()) if c not in codes]
    return {
        "patient": f"Patient/{PATIENT}",
        # combo-code (FHIR R4) matches Observation.code or a component's code: a CD4 count reported inside a
        # lymphocyte panel is found; `code=` would miss it.
        "observations": f"Observation?patient={PATIENT}&combo-code={','.join(codes)}",
        "conditions": f"Condition?patient={PATIENT}",
        # _include: an order naming its drug by medicationReference comes with that Medication.
        "medicationRequests": f"MedicationRequest?patient={PATIENT}&_include=MedicationRequest:medication",
        "medicationStatements": (
            f"MedicationStatement?patient={PATIENT}&_include=MedicationStatement:medication"
        ),
    }


_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z0-9_]+)\s*\}\}")


class TemplateError(ValueError):
    """A prefetch template names a context field the request does not have."""


def render_template(template: str, context: dict[str, Any]) -> str:
    """Replace ``{{context.x}}`` tokens with the (URL-escaped) context values."""

    def value(match: re.Match[str]) -> str:
        item = context.get(match.group(1))
        if not isinstance(item, str) or not item:
            raise TemplateError(match.group(1))
        return quote(item, safe="")

    return _TOKEN.sub(value, template)
