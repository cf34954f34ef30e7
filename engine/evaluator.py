"""The engine's front door: compile the knowledge base once, then evaluate scenarios."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.compiler import compile_ruleset
from engine.derive import Derivation, DerivationSettings, derive
from engine.errors import FieldProblem, ScenarioError
from engine.explain import Explainer, Predicate, explainer, predicate
from engine.facts import PatientFacts
from engine.findings import Evaluation, Finding, build_finding, order_key
from engine.knowledge import Indicator, KnowledgeBase, Rule, Status
from engine.runtime import DurableRuntime
from engine.scenario import Scenario, in_range
from engine.scenario_times import local_zone

log = logging.getLogger(__name__)

__all__ = ["Evaluation", "Evaluator"]


@dataclass(frozen=True)
class _Compiled:
    """What the findings need of one rule, prepared once per evaluator rather than on every call."""

    rule: Rule
    explain: Explainer
    holds: Predicate
    escalations: tuple[tuple[Indicator, Predicate], ...]

    @classmethod
    def of(cls, kb: KnowledgeBase, rule: Rule) -> _Compiled:
        params = kb.params(rule.id)
        return cls(
            rule,
            explainer(rule.condition, params),
            predicate(rule.condition, params),
            tuple((level, predicate(node, params)) for level, node in rule.escalations),
        )


class Evaluator:
    """Holds one compiled durable-rules ruleset; :meth:`evaluate` is safe to call from many threads."""

    def __init__(self, kb: KnowledgeBase, settings: DerivationSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or DerivationSettings()
        self.compiled = compile_ruleset(kb)
        self.runtime = DurableRuntime(self.compiled)
        self._rules = {r.id: _Compiled.of(kb, r) for r in kb.evaluated_rules}
        self._active = frozenset(r.id for r in kb.active_rules)
        self._safety = {
            status: [c for c in self._rules.values() if c.rule.safety and c.rule.status is status]
            for status in (Status.active, Status.shadow)
        }

    @property
    def version(self) -> str:
        """The rule-set version (hash of the rule files)."""
        return self.kb.version

    def evaluate(self, scenario: Scenario, at: datetime | None = None) -> Evaluation:
        """Evaluate ``scenario`` at ``at``, else at its own evaluation time, else now.

        Calendar days are counted in the UTC offset ``at`` (else the evaluation time) was given with (no zone
        means UTC); a date, or no time at all (now), counts them in the settings' ``time_zone``. Pass now in
        the clinic's zone (``datetime.now(zone)``) to count in that zone's rules, daylight saving included.

        The findings of shadow rules are kept apart (:attr:`Evaluation.shadow_findings`), never among
        ``findings``.
        """
        given = at or scenario.evaluation_time
        # Calendar days are counted in the evaluation time's own offset, else in the clinic's zone.
        zone = local_zone(given, self.settings.time_zone)
        try:
            now = in_range(given or datetime.now(UTC))
        except ValueError as exc:
            raise ScenarioError([FieldProblem("evaluation_time", str(exc))]) from exc
        derivation = derive(scenario, now, self.settings, zone)
        findings, shadow = self.evaluate_all(derivation)
        evaluation = Evaluation(
            ruleset_version=self.version,
            evaluated_at=now,
            findings=findings,
            facts=derivation.facts,
            notes=derivation.notes,
        )
        evaluation._shadow = shadow
        return evaluation

    def evaluate_facts(self, facts: PatientFacts) -> list[Finding]:
        """Evaluate already derived facts (no patient data behind them to cite); active rules' findings."""
        return self.evaluate_derivation(Derivation(facts=facts))

    def fired_rule_ids(self, facts: PatientFacts) -> list[str]:
        """The ids of the rules durable-rules fires for ``facts`` (shadow rules included), de-duplicated,
        in firing order."""
        return list(dict.fromkeys(f.rule_id for f in self.runtime.evaluate(facts.model_dump())))

    def evaluate_derivation(self, derivation: Derivation) -> list[Finding]:
        """The findings of the active rules (see :meth:`evaluate_all`)."""
        return self.evaluate_all(derivation)[0]

    def evaluate_all(self, derivation: Derivation) -> tuple[list[Finding], list[Finding]]:
        """Run durable-rules on the facts, cross-check safety rules in Python, and build ordered findings:
        those of active rules, and apart those of shadow rules."""
        values = derivation.facts.model_dump()
        fired = list(dict.fromkeys(f.rule_id for f in self.runtime.evaluate(values)))
        active = [r for r in fired if r in self._active]
        # An active rule rests only on active conclusions: a shadow rule never changes what is shown.
        active_conclusions = self._conclusions(active)
        shown = self._findings(Status.active, set(active), values, active_conclusions, derivation)
        shadow_fired = set(fired) - set(active)
        if not shadow_fired and not self._safety[Status.shadow]:
            return shown, []  # nothing a shadow rule could say
        all_conclusions = self._conclusions(fired)
        silent = self._findings(Status.shadow, shadow_fired, values, all_conclusions, derivation)
        return shown, silent

    def _conclusions(self, fired: list[str]) -> dict[str, tuple[str, ...]]:
        conclusions: dict[str, tuple[str, ...]] = {}
        for rule_id in fired:
            for name in self.kb.rules[rule_id].concludes:
                conclusions[name] = (*conclusions.get(name, ()), rule_id)
        return conclusions

    def _findings(
        self,
        status: Status,
        fired: set[str],
        values: dict[str, Any],
        conclusions: dict[str, tuple[str, ...]],
        derivation: Derivation,
    ) -> list[Finding]:
        """Findings of the rules of ``status`` that durable-rules fired, or (safety rules) whose condition
        holds."""
        fired_set = set(fired)
        # Safety rules are also evaluated in plain Python: either path suffices for them to fire.
        for compiled in self._safety[status]:
            if compiled.rule.id not in fired_set and compiled.holds(values, conclusions):
                log.error("safety rule %s fired in Python but not in durable-rules", compiled.rule.id)
                fired_set.add(compiled.rule.id)
        findings = []
        for rule_id in sorted(fired_set):
            compiled = self._rules[rule_id]
            rule = compiled.rule
            held, reasons = compiled.explain(values, conclusions)
            if not held:
                # durable-rules fired it but the plain evaluation disagrees: report rather than hide.
                log.error("rule %s fired in durable-rules but its condition does not hold in Python", rule_id)
            indicator = rule.indicator
            for level, holds in compiled.escalations:
                if level.rank < indicator.rank and holds(values, conclusions):
                    indicator = Indicator(level)
            findings.append(
                build_finding(self.kb, rule, indicator, reasons, derivation.facts, derivation.support)
            )
        return sorted(findings, key=order_key)
