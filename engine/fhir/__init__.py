"""FHIR R4 intake: resources and Bundles in, one :class:`engine.scenario.Scenario` and notes out.

- ``models``: narrow strict models of exactly the elements the rules read;
- ``gather``: Bundles, ``contained`` and referenced resources, Observation components, in one place;
- ``observations``, ``records``, ``patient``: resources → scenario items;
- ``terminology``: the questions the intake asks the value sets (known system, observation kind, unit);
- ``intake``: the whole read, with its notes and problems (:class:`FhirImport`).
"""

from engine.fhir.gather import looks_like_fhir
from engine.fhir.intake import FhirImport, scenario_from_bundle, scenario_from_resources

__all__ = ["FhirImport", "looks_like_fhir", "scenario_from_bundle", "scenario_from_resources"]
