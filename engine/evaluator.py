"""The engine's front door: compile the knowledge base once, then evaluate scenarios."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from engine.compiler import compile_ruleset
from engine.conditions import explain
from engine.derive import Derivation, DerivationSettings, derive
from engine.errors import FieldProblem, ScenarioError
from engine.facts import PatientFacts
from engine.findings import Evaluation, Finding, build_finding, order_key
from engine.knowledge import Indicator, KnowledgeBase, Rule, Status
from engine.runtime import DurableRuntime
from engine.scenario import Scenario, in_range

log = logging.getLogger(__name__)

__all__ = ["Evaluation", "Evaluator"]


class Evaluator:
    """Holds one compiled durable-rules ruleset; :meth:`evaluate` is safe to call from many threads."""

    def __init__(self, kb: KnowledgeBase, settings: DerivationSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or DerivationSettings()
        self.compiled = compile_ruleset(kb)
        self.runtime = DurableRuntime(self.compiled)

    @property
    def version(self) -> str:
        """The rule-set version (hash of the rule files)."""
        return self.kb.version

    def evaluate(self, scenario: Scenario, at: datetime | None = None) -> Evaluation:
        """Evaluate ``scenario`` at ``at``, else at its own evaluation time, else now.

        The findings of shadow rules are kept apart (:attr:`Evaluation.shadow_findings`), never among
        ``findings``.
        """
        try:
            now = in_range(at or scenario.evaluation_time or datetime.now(UTC))
        except ValueError as exc:
            raise ScenarioError([FieldProblem("evaluation_time", str(exc))]) from exc
        derivation = derive(scenario, now, self.settings)
        findings, shadow = self.evaluate_all(derivation)
        evaluation = Evaluation(
            ruleset_version=self.version, evaluated_at=now, findings=findings, facts=derivation.facts
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
        fired = self.fired_rule_ids(derivation.facts)
        active = [r for r in fired if self.kb.rules[r].status is Status.active]
        # An active rule rests only on active conclusions: a shadow rule never changes what is shown.
        active_conclusions = self._conclusions(active)
        all_conclusions = self._conclusions(fired)
        shown = self._findings(self.kb.active_rules, set(active), values, active_conclusions, derivation)
        shadow_fired = set(fired) - set(active)
        silent = self._findings(self.kb.shadow_rules, shadow_fired, values, all_conclusions, derivation)
        return shown, silent

    def _conclusions(self, fired: list[str]) -> dict[str, tuple[str, ...]]:
        conclusions: dict[str, tuple[str, ...]] = {}
        for rule_id in fired:
            for name in self.kb.rules[rule_id].concludes:
                conclusions[name] = (*conclusions.get(name, ()), rule_id)
        return conclusions

    def _findings(
        self,
        rules: list[Rule],
        fired: set[str],
        values: dict[str, Any],
        conclusions: dict[str, tuple[str, ...]],
        derivation: Derivation,
    ) -> list[Finding]:
        """Findings of ``rules`` that durable-rules fired, or (safety rules) whose condition holds."""
        fired_set = set(fired)
        # Safety rules are also evaluated in plain Python: either path suffices for them to fire.
        for rule in rules:
            if rule.safety and rule.id not in fired_set:
                held, _ = explain(rule.condition, values, conclusions, self.kb.params(rule.id))
                if held:
                    log.error("safety rule %s fired in Python but not in durable-rules", rule.id)
                    fired_set.add(rule.id)
        findings = []
        for rule_id in sorted(fired_set):
            rule = self.kb.rules[rule_id]
            params = self.kb.params(rule_id)
            held, reasons = explain(rule.condition, values, conclusions, params)
            if not held:
                # durable-rules fired it but the plain evaluation disagrees: report rather than hide.
                log.error("rule %s fired in durable-rules but its condition does not hold in Python", rule_id)
            indicator = rule.indicator
            for level, node in rule.escalations:
                if level.rank < indicator.rank and explain(node, values, conclusions, params)[0]:
                    indicator = Indicator(level)
            findings.append(
                build_finding(self.kb, rule, indicator, reasons, derivation.facts, derivation.support)
            )
        return sorted(findings, key=order_key)
