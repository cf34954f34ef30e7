"""Known equivalent mutants: changes a committee has shown cannot alter any alert, with the reason.

They are kept beside the rules in ``mutation-equivalents.yaml`` (not a rule file)::

    equivalents:
      - rule: iris-suspected
        kind: clause-deleted
        target: on_art is true
        reason: Days on ART are derived only while the patient is on ART, so the clause adds nothing.

``target`` is the mutant's target as ``clinrules rules mutate`` prints it. An equivalent mutant that
survives does not lower the score; one that a scenario kills is counted killed, and the entry is reported
as wrong, as is an entry that matches no mutant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from engine.errors import KnowledgeBaseError
from engine.mutation.mutants import KINDS, Mutant, MutantKind

EQUIVALENTS_FILE = "mutation-equivalents.yaml"


class Equivalent(BaseModel):
    """One mutant known to change nothing, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    kind: MutantKind
    target: str
    reason: Annotated[str, StringConstraints(min_length=10)] = Field(
        description="Why no patient can tell the mutant from the rule (a committee reads it)."
    )

    def matches(self, mutant: Mutant) -> bool:
        """Whether this entry names ``mutant``."""
        return (self.rule, self.kind, self.target) == (mutant.rule_id, mutant.kind, mutant.target)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    equivalents: list[Equivalent] = Field(default_factory=list)


def load_equivalents(path: Path) -> list[Equivalent]:
    """The entries of an equivalents file; none when it does not exist. A wrong field names the file."""
    if not path.is_file():
        return []
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return _File.model_validate(data).equivalents
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(str(path), "(yaml)", str(exc).replace("\n", " ")) from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        hint = f" (one of {', '.join(KINDS)})" if err["loc"][-1:] == ("kind",) else ""
        raise KnowledgeBaseError(str(path), where, err["msg"] + hint) from exc


def equivalent_for(mutant: Mutant, entries: list[Equivalent]) -> Equivalent | None:
    """The entry that marks ``mutant`` equivalent, if any."""
    return next((e for e in entries if e.matches(mutant)), None)
