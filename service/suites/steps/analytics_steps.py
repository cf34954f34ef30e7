"""Step library of shadow rules and alert analytics (features/service/shadow-rules.feature).

A scenario that runs a rule in shadow, or reads the analytics, starts its own service in this process on
an empty audit database (even with ``clinrules test --url``): a running service's rules and audit trail
are its operator's, and its counts include every other caller's.
"""

from __future__ import annotations

import re
import shutil
from typing import Any

from pytest_bdd import given, parsers, then

from engine.paths import default_rules_dir
from service.suites.steps.service_world import ServiceWorld

_STATUS = re.compile(r"^status:\s*\S+\s*$", re.MULTILINE)


@given(parsers.parse('the clinrules service is running with the rule "{rule_id}" in shadow'))
def service_with_shadow_rule(service_world: ServiceWorld, rule_id: str) -> None:
    """A fresh instance (in process, even with `--url`) whose rules are the shipped ones, with this one's
    status set to `shadow`: evaluated and audited, never shown.

    Example: Given the clinrules service is running with the rule "iris-risk" in shadow
    """
    rules = service_world.tmp_path / "rules-with-shadow"
    shutil.copytree(default_rules_dir(), rules)
    found = list(rules.rglob(f"{rule_id}.yaml"))
    assert found, f"there is no rule '{rule_id}'"
    text = found[0].read_text(encoding="utf-8")
    found[0].write_text(_STATUS.sub("status: shadow", text, count=1), encoding="utf-8")
    service_world.start(rules_dir=rules)


@given("the clinrules service is running with an empty audit trail")
def service_with_empty_audit(service_world: ServiceWorld) -> None:
    """A fresh instance with the shipped rules on an empty audit database (in process, even with `--url`).

    Example: Given the clinrules service is running with an empty audit trail
    """
    service_world.start()


@then(parsers.parse('no "{topic}" card is shown'))
def no_card_for(service_world: ServiceWorld, topic: str) -> None:
    """The last CDS Hooks answer has no card of this topic (one no rule has, `data-quality` aside, is an
    error, never a pass).

    Example: Then no "iris-risk" card is shown
    """
    service_world.known(topic)
    assert service_world.response.status_code == 200, service_world.response.text
    shown = [c["source"]["topic"]["code"] for c in service_world.response.json()["cards"]]
    assert topic not in shown, f"a {topic} card was shown: {shown}"


def _analytics(service_world: ServiceWorld, topic: str) -> dict[str, Any]:
    service_world.known(topic)
    answer = service_world.http.get("/analytics")
    assert answer.status_code == 200, answer.text
    rows = [r for r in answer.json()["rows"] if r["topic"] == topic]
    keys = ("firings", "shadow_firings", "cards", "accepted", "overridden")
    totals: dict[str, Any] = {key: sum(r[key] for r in rows) for key in keys}
    reasons: dict[str, int] = {}
    for row in rows:
        for code, n in row["override_reasons"].items():
            reasons[code] = reasons.get(code, 0) + n
    totals["override_reasons"] = reasons
    totals["status"] = {r["status"] for r in rows}
    return totals


@then(
    parsers.re(
        r'the analytics count (?P<n>\d+) evaluations? in which "(?P<topic>[a-z0-9.-]+)" would have fired'
    )
)
def counted_shadow(service_world: ServiceWorld, n: str, topic: str) -> None:
    """`GET /analytics`: how often the rule of this topic, run in shadow, would have fired.

    Example: Then the analytics count 1 evaluation in which "iris-risk" would have fired
    """
    totals = _analytics(service_world, topic)
    assert totals["shadow_firings"] == int(n), totals
    assert totals["status"] == {"shadow"}, totals


@then(parsers.re(r'the analytics count (?P<n>\d+) evaluations? in which "(?P<topic>[a-z0-9.-]+)" was shown'))
def counted_shown(service_world: ServiceWorld, n: str, topic: str) -> None:
    """`GET /analytics`: how often the rule of this topic fired and was shown.

    Example: Then the analytics count 0 evaluations in which "iris-risk" was shown
    """
    assert _analytics(service_world, topic)["firings"] == int(n)


@then(
    parsers.re(
        r'the analytics count (?P<n>\d+) "(?P<topic>[a-z0-9.-]+)" cards? (?P<outcome>accepted|overridden)'
        r'(?: with the reason "(?P<code>[^"]+)")?'
    )
)
def counted_feedback(service_world: ServiceWorld, n: str, topic: str, outcome: str, code: str | None) -> None:
    """`GET /analytics`: cards of this topic accepted, or overridden (with this reason).

    Example: Then the analytics count 1 "iris-risk" card overridden with the reason "already-monitored"
    """
    totals = _analytics(service_world, topic)
    assert totals[outcome] == int(n), totals
    if code is not None:
        assert totals["override_reasons"].get(code, 0) == int(n), totals
