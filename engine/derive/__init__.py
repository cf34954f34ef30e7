"""Pure functions from a :class:`Scenario` and an evaluation time to :class:`PatientFacts`.

Time is handled here and only here, so rules compare plain numbers and booleans. Choices where the
brief is silent are conservative and named in :class:`DerivationSettings`. The facts are derived topic by
topic (``safety``: reproduction, pregnancy, thalidomide, POEMS, pain, IL-2; ``hiv``: HIV, ART, CD4 and viral
load, IRIS and steroids, tuberculosis) from one :class:`PatientRecord` (``record``).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from engine.courses import days_between
from engine.derive.hiv import (
    cd4_and_viral_load,
    hiv_and_art,
    iris_and_steroids,
    tuberculosis_and_cryptococcus,
)
from engine.derive.record import Derivation, DerivationSettings, PatientRecord, age_in_years
from engine.derive.safety import poems_pain_and_il2, reproduction, thalidomide
from engine.facts import PatientFacts
from engine.results import measured
from engine.scenario import Scenario

__all__ = ["Derivation", "DerivationSettings", "age_in_years", "days_between", "derive", "measured"]


def derive(
    scenario: Scenario, now: datetime, settings: DerivationSettings | None = None, zone: tzinfo | None = None
) -> Derivation:
    """Derive every fact the rules use from ``scenario`` as it stands at ``now``, counting calendar days in
    ``zone`` (default: the settings' time zone)."""
    record = PatientRecord(scenario, now, settings or DerivationSettings(), zone)
    facts = reproduction(record)
    art, art_reference, reference = hiv_and_art(record)
    facts |= art
    facts |= cd4_and_viral_load(record, art_reference, reference)
    facts |= iris_and_steroids(record, art_reference)
    facts |= thalidomide(record)
    facts |= poems_pain_and_il2(record)
    facts |= tuberculosis_and_cryptococcus(record)
    return Derivation(facts=PatientFacts(**facts), support=record.support, notes=record.notes)
