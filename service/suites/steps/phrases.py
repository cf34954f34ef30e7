"""The phrases Given steps are written with: times, numbers, codes, code systems and names.

Every time is relative to the evaluation time ("today"): ``today``, ``yesterday``, ``1 day ago`` or
``{n} days ago``.
"""

from __future__ import annotations

import re

from service.suites.steps.patient import CODE_SYSTEMS

WHEN = r"(?:today|yesterday|\d+ days? ago)"
"""A time before the evaluation time: ``today``, ``yesterday``, ``1 day ago``, ``{n} days ago``."""
NUMBER = r"\d+(?:\.\d+)?"
CODE = r"[A-Z][0-9A-Z]{1,2}(?:\.[0-9A-Z]{1,4})?"
"""An ICD-10-CM code such as B20, A15.0 or B45.1."""
CONDITION_NAME = r"[^\"()]+?"
SYSTEM = "|".join(sorted((re.escape(name) for name in CODE_SYSTEMS), key=len, reverse=True))
"""A code system as a clinician names it: SNOMED CT, WHO ICD-10, ICD-11, ATC, CIEL, WHO SMART HIV, ..."""
CODED = rf"coded (?P<system>{SYSTEM}) \"(?P<code>[^\"]+)\""
"""A code as a record carries it: ``coded SNOMED CT "77386006"`` (the name beside it is for the reader)."""
INGREDIENT = r"[^\"]+?"


def days_ago(phrase: str) -> int:
    """Whole days before the evaluation time for ``today``, ``yesterday``, ``1 day ago``, ``{n} days ago``."""
    phrase = phrase.strip()
    if phrase == "today":
        return 0
    if phrase == "yesterday":
        return 1
    return int(phrase.split()[0])


def number(text: str) -> float | int:
    """A measurement as written: an int when it has no decimals, else a float."""
    return float(text) if "." in text else int(text)
