"""The value-set concepts the engine asks for by name. Each must be defined in ``valuesets.yaml``: a concept
missing there (renamed, misspelt) would leave every fact resting on it false and its alerts silent, so
loading the value sets refuses it (:func:`engine.valueset_files.load_value_sets`).

A derivation that asks for a new concept by name lists it here (a unit test reads the engine's code and
fails on a name missing from these lists). The observation kinds are
:class:`engine.scenario_enums.ObservationKind`.
"""

from __future__ import annotations

CONDITIONS = frozenset(
    {
        # engine/derive/hiv.py
        "hiv",
        "iris",
        "iris-associated",
        "cryptococcal-meningitis",
        "tuberculosis",
        "tb-meningitis",
        "kaposi-sarcoma",
        "hepatitis-b",
        # engine/derive/safety.py
        "no-reproductive-potential",
        "vte-history",
        "peripheral-neuropathy",
        "poems",
        "renal-failure",
        "crps",
        "chronic-intractable-pain",
        # engine/pregnancy.py
        "pregnancy",
        "delivery",
    }
)
"""Condition concepts read by derivation (``PatientRecord.conditions``), pregnancy and HIV status answers."""

MEDICATIONS = frozenset({"art", "corticosteroid", "thalidomide-class", "il2", "tb-treatment-core"})
"""Medication classes read by derivation (``PatientRecord.course`` and ``of_class``)."""
