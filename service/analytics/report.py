"""Alert analytics per ISO week, rule-set version and topic: the numbers a CDS committee reviews.

Built from :func:`service.analytics.query.daily_counts`. For each week and rule-set version: how many
evaluations ran; per topic, how often its rule fired (shown), how often a shadow rule would have fired,
how many CDS Hooks cards were issued and how many of them clinicians accepted or overrode, with each
override reason. Rates are over the week's evaluations with that rule-set version (``/evaluate`` calls
included: they fire rules but issue no cards).

Every rule of the rule set in force that is evaluated (active or shadow) has a row in each week its
version ran, even at zero: a rule that never fires is news to a committee too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import Engine

from engine.knowledge import KnowledgeBase
from service.analytics.query import DailyCounts, daily_counts
from service.cds.models import OVERRIDE_SYSTEM

NO_REASON = "(no reason given)"
"""The override-reason key of overrides that gave none."""


class TopicWeek(BaseModel):
    """One rule (topic) in one ISO week under one rule-set version."""

    week: str = Field(description="ISO week, e.g. 2026-W49.", examples=["2026-W49"])
    week_start: date = Field(description="The Monday the week starts on (UTC).")
    ruleset_version: str
    topic: str
    rule_id: str | None = Field(description="The rule with this topic in the rule set in force, if any.")
    title: str | None = None
    status: str = Field(description="Its status in the rule set in force: active, shadow, ..., or unknown.")
    evaluations: int = Field(description="Evaluations that week with that rule-set version.")
    firings: int = Field(description="Evaluations in which the rule fired and was shown.")
    firing_rate: float = Field(description="firings / evaluations (0 to 1).")
    shadow_firings: int = Field(description="Evaluations in which it would have fired, run in shadow.")
    shadow_firing_rate: float = Field(description="shadow_firings / evaluations (0 to 1).")
    cards: int = Field(description="CDS Hooks cards issued for it.")
    accepted: int = Field(description="Cards a clinician accepted.")
    overridden: int = Field(description="Cards a clinician overrode.")
    override_reasons: dict[str, int] = Field(
        description="Overridden cards per reason code (another system's code as system|code)."
    )


class WeekTotal(BaseModel):
    """Evaluations in one ISO week under one rule-set version."""

    week: str
    week_start: date
    ruleset_version: str
    evaluations: int


class AnalyticsReport(BaseModel):
    """Alert analytics from the audit trail and card feedback."""

    generated_at: datetime
    since: date | None = Field(description="First day counted (UTC); null for the whole audit.")
    ruleset_version: str = Field(description="The rule set in force in this service.")
    weeks: list[WeekTotal]
    rows: list[TopicWeek]


def iso_week(day: date) -> tuple[str, date]:
    """The ISO week of ``day`` (``2026-W49``) and its Monday."""
    year, week, weekday = day.isocalendar()
    return f"{year}-W{week:02d}", day - timedelta(days=weekday - 1)


def _reason_key(system: str | None, code: str | None) -> str:
    if code is None:
        return NO_REASON
    return code if system in (None, OVERRIDE_SYSTEM) else f"{system}|{code}"


def _rate(count: int, total: int) -> float:
    return round(count / total, 4) if total else 0.0


def summarise(counts: DailyCounts, kb: KnowledgeBase, since: date | None = None) -> AnalyticsReport:
    """Sum the daily counts into ISO weeks and name each topic's rule from ``kb``."""
    Key = tuple[str, str, str]  # (week, version, topic)
    evaluations: dict[tuple[str, str], int] = defaultdict(int)
    mondays: dict[str, date] = {}
    for day, version, n in counts.evaluations:
        week, monday = iso_week(day)
        mondays[week] = monday
        evaluations[week, version] += n
    number: dict[str, dict[Key, int]] = {name: defaultdict(int) for name in ("fired", "shadow", "cards")}
    for name, daily in (
        ("fired", counts.firings),
        ("shadow", counts.shadow_firings),
        ("cards", counts.cards),
    ):
        for day, version, topic, n in daily:
            number[name][iso_week(day)[0], version, topic] += n
    outcomes: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for day, version, topic, outcome, n in counts.outcomes:
        outcomes[iso_week(day)[0], version, topic, outcome] += n
    reasons: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, version, topic, system, code, n in counts.reasons:
        reasons[iso_week(day)[0], version, topic][_reason_key(system, code)] += n
    keys: set[Key] = {k for table in number.values() for k in table} | set(reasons)
    evaluated = [r.topic for r in kb.evaluated_rules]
    keys |= {
        (week, version, topic)
        for week, version in evaluations
        if version == kb.version
        for topic in evaluated
    }
    by_topic = {r.topic: r for r in kb.rules.values() if r.status.evaluated} | {
        r.topic: r for r in kb.rules.values() if not r.status.evaluated and r.topic not in evaluated
    }
    rows = []
    for week, version, topic in sorted(keys):
        total = evaluations.get((week, version), 0)
        rule = by_topic.get(topic)
        fired, shadow = number["fired"][week, version, topic], number["shadow"][week, version, topic]
        rows.append(
            TopicWeek(
                week=week,
                week_start=mondays[week],
                ruleset_version=version,
                topic=topic,
                rule_id=rule.id if rule else None,
                title=rule.title if rule else None,
                status=rule.status.value if rule else "unknown",
                evaluations=total,
                firings=fired,
                firing_rate=_rate(fired, total),
                shadow_firings=shadow,
                shadow_firing_rate=_rate(shadow, total),
                cards=number["cards"][week, version, topic],
                accepted=outcomes[week, version, topic, "accepted"],
                overridden=outcomes[week, version, topic, "overridden"],
                override_reasons=dict(sorted(reasons[week, version, topic].items())),
            )
        )
    weeks = [
        WeekTotal(week=w, week_start=mondays[w], ruleset_version=v, evaluations=n)
        for (w, v), n in sorted(evaluations.items())
    ]
    return AnalyticsReport(
        generated_at=datetime.now(UTC), since=since, ruleset_version=kb.version, weeks=weeks, rows=rows
    )


def build_report(engine: Engine, kb: KnowledgeBase, since: date | None = None) -> AnalyticsReport:
    """The analytics of the audit in ``engine`` from the day ``since`` (UTC; default: all of it)."""
    start = None if since is None else datetime(since.year, since.month, since.day, tzinfo=UTC)
    return summarise(daily_counts(engine, start), kb, since)
