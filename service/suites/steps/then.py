"""Then steps: which alerts fire, how urgent they are, and what they say.

Alerts are named by their stable topic code (KNOWLEDGE.md §3), e.g. ``"iris-risk"``.
"""

from __future__ import annotations

from pytest_bdd import parsers, then

from engine.markdown import unescape_markdown
from service.suites.steps.patient import PatientBuilder
from service.suites.steps.target import THALIDOMIDE_PROPOSED, Alert
from service.suites.topics import require_known

TOPIC = r"\"(?P<topic>[a-z0-9][a-z0-9.-]*)\""
THALIDOMIDE_CLASS = ("thalidomide", "lenalidomide", "pomalidomide")
TERATOGENICITY = "thalidomide-teratogenicity"


def topic_list(text: str) -> list[str]:
    """Topic codes from a comma-separated list, quotes optional: ``iris-risk, "iris-suspected"``."""
    return [t.strip().strip('"').strip() for t in text.split(",") if t.strip()]


def fired(alerts: list[Alert]) -> str:
    """A readable list of what fired, for assertion messages."""
    return ", ".join(f"{a.topic} ({a.indicator})" for a in alerts) or "no alert"


def plain(text: str) -> str:
    """Text compared the way a reader sees it: no markdown emphasis or escapes, single spaces, any case."""
    return " ".join(unescape_markdown(text).replace("*", "").replace("`", "").split()).casefold()


def known(alerts: list[Alert], *topics: str) -> None:
    """Raise :class:`~service.suites.topics.SuiteMistake` for a topic no evaluated rule has (checked when
    the target said which topics its rules have)."""
    require_known(topics, getattr(alerts, "topics", None))


def the_alert(alerts: list[Alert], topic: str) -> Alert:
    """The alert with this topic; fails naming what fired instead (an unknown topic is an error)."""
    known(alerts, topic)
    for alert in alerts:
        if alert.topic == topic:
            return alert
    raise AssertionError(f'the "{topic}" alert did not fire; fired: {fired(alerts)}')


@then(parsers.re(rf"the {TOPIC} alert fires"))
def then_fires(alerts: list[Alert], topic: str) -> None:
    """Check that the alert with this topic code fired.

    Example: Then the "iris-risk" alert fires
    """
    the_alert(alerts, topic)


@then(parsers.re(rf"the {TOPIC} alert does not fire"))
def then_does_not_fire(alerts: list[Alert], topic: str) -> None:
    """Check that the alert with this topic code did not fire. A topic no rule has is an error (a
    misspelling), never a pass.

    Example: Then the "iris-risk" alert does not fire
    """
    known(alerts, topic)
    assert all(a.topic != topic for a in alerts), f'the "{topic}" alert fired; fired: {fired(alerts)}'


@then("no alert fires")
def then_no_alert(alerts: list[Alert]) -> None:
    """Check that no alert at all fired.

    Example: Then no alert fires
    """
    assert not alerts, f"expected no alert; fired: {fired(alerts)}"


@then(parsers.re(rf"the {TOPIC} alert is (?P<indicator>critical|warning|info)"))
def then_indicator(alerts: list[Alert], topic: str, indicator: str) -> None:
    """Check the urgency (CDS Hooks indicator) of an alert: critical, warning or info.

    Example: Then the "thalidomide-pregnancy" alert is critical
    """
    alert = the_alert(alerts, topic)
    assert alert.indicator == indicator, f'the "{topic}" alert is {alert.indicator}, not {indicator}'


@then(parsers.re(rf"the {TOPIC} alert explains \"(?P<text>[^\"]+)\""))
def then_explains(alerts: list[Alert], topic: str, text: str) -> None:
    """Check that an alert's summary, detail or reasons mention a phrase.

    The match ignores case, line breaks, markdown emphasis and markdown escapes (`\\[` reads as `[`).

    Example: Then the "iris-suspected" alert explains "CD4 count risen above baseline"
    """
    alert = the_alert(alerts, topic)
    haystack = plain("\n".join([alert.summary, alert.detail, *alert.reasons]))
    assert plain(text) in haystack, (
        f'the "{topic}" alert does not mention "{text}"; its reasons are: ' + "; ".join(alert.reasons)
    )


@then(parsers.re(rf"the {TOPIC} alert does not explain \"(?P<text>[^\"]+)\""))
def then_does_not_explain(alerts: list[Alert], topic: str, text: str) -> None:
    """Check that an alert's summary, detail and reasons do not mention a phrase (compared as for
    "explains").

    Example: Then the "thalidomide-teratogenicity" alert does not explain "Reproductive potential: no"
    """
    alert = the_alert(alerts, topic)
    haystack = plain("\n".join([alert.summary, alert.detail, *alert.reasons]))
    assert plain(text) not in haystack, f'the "{topic}" alert mentions "{text}"; its detail:\n{alert.detail}'


@then(parsers.re(rf"the {TOPIC} alert shows \"(?P<text>[^\"]+)\" once"))
def then_shows_once(alerts: list[Alert], topic: str, text: str) -> None:
    """Check that an alert's detail shows a phrase exactly once (compared as for "explains").

    Example: Then the "iris-risk" alert shows "Days on the current course of antiretroviral therapy" once
    """
    alert = the_alert(alerts, topic)
    count = plain(alert.detail).count(plain(text))
    assert count == 1, f'the "{topic}" alert shows "{text}" {count} times; its detail:\n{alert.detail}'


@then(parsers.re(rf"the {TOPIC} alert cites \"(?P<source>[a-z0-9][a-z0-9.-]*)\" first"))
def then_cites_first(alerts: list[Alert], topic: str, source: str) -> None:
    """Check the first source an alert cites (sources are shown in the order the alert cites them).

    Example: Then the "thalidomide-teratogenicity" alert cites "thalomid-label" first
    """
    alert = the_alert(alerts, topic)
    assert alert.citations[:1] == [source], f'the "{topic}" alert cites {alert.citations}'


@then(parsers.re(rf"the {TOPIC} alert links to \"(?P<text>[^\"]+)\""))
def then_links_to(alerts: list[Alert], topic: str, text: str) -> None:
    """Check that one of an alert's links points to an address containing ``text``.

    Example: Then the "thalidomide-teratogenicity" alert links to "accessdata.fda.gov"
    """
    alert = the_alert(alerts, topic)
    assert any(text in url for url in alert.links), f'the "{topic}" alert links to {alert.links}'


@then(parsers.re(rf"the {TOPIC} alert follows from the \"(?P<other>[a-z0-9][a-z0-9.-]*)\" alert"))
def then_follows_from(alerts: list[Alert], topic: str, other: str) -> None:
    """Check rule chaining: an alert fired because of what another alert's rule concluded.

    Example: Then the "thalidomide-teratogenicity" alert follows from the "poems-thalidomide" alert
    """
    alert = the_alert(alerts, topic)
    source = the_alert(alerts, other)
    mentioned = any(f"rule {source.rule_id}" in r or source.rule_id in r.split() for r in alert.reasons)
    assert source.rule_id in alert.rests_on or mentioned, (
        f'the "{topic}" alert does not rest on "{other}"; it rests on {alert.rests_on or "no other rule"}'
    )


@then(parsers.re(r"the alerts are, in order: (?P<topics>.+)"))
def then_in_order(alerts: list[Alert], topics: str) -> None:
    """Check the exact alerts and the order they are shown in (most urgent first, then by rule).

    Example: Then the alerts are, in order: thalidomide-teratogenicity, poems-thalidomide
    """
    expected = topic_list(topics)
    known(alerts, *expected)
    actual = [a.topic for a in alerts]
    assert actual == expected, f"expected, in order: {', '.join(expected)}; fired: {fired(alerts)}"


@then(parsers.re(r"only these alerts fire: (?P<topics>.+)"))
def then_only(alerts: list[Alert], topics: str) -> None:
    """Check the set of alerts that fired, in any order: these and no others.

    Example: Then only these alerts fire: iris-risk, art-timing-tb
    """
    expected = topic_list(topics)
    known(alerts, *expected)
    actual = [a.topic for a in alerts]
    missing = [t for t in expected if t not in actual]
    extra = [t for t in actual if t not in expected]
    assert not missing and not extra, (
        f"missing: {', '.join(missing) or 'none'}; unexpected: {', '.join(extra) or 'none'}; "
        f"fired: {fired(alerts)}"
    )


@then("every thalidomide proposal comes with the teratogenicity warning")
def then_thalidomide_invariant(alerts: list[Alert], patient: PatientBuilder) -> None:
    """Safety invariant: whenever thalidomide is proposed by a rule, or a thalidomide-class drug
    (thalidomide, lenalidomide, pomalidomide) is ordered or taken, the teratogenicity alert is present.

    Example: Then every thalidomide proposal comes with the teratogenicity warning
    """
    proposers = [a.topic for a in alerts if THALIDOMIDE_PROPOSED in a.concludes]
    ordered = [
        m.ingredient
        for m in patient.medications
        if m.status in ("active", "on-hold", "draft")
        and any(drug in m.ingredient.casefold() for drug in THALIDOMIDE_CLASS)
    ]
    if proposers or ordered:
        present = any(a.topic == TERATOGENICITY for a in alerts)
        because = ", ".join(
            [*(f"proposed by {p}" for p in proposers), *(f"{o} ordered or taken" for o in ordered)]
        )
        assert present, f"thalidomide {because}, but no teratogenicity warning; fired: {fired(alerts)}"


@then(parsers.re(r"a note says \"(?P<text>[^\"]+)\""))
def then_note_says(alerts: list[Alert], text: str) -> None:
    """Check that the evaluation reports data it left out with a note mentioning a phrase (compared as for
    "explains").

    Example: Then a note says "unit 'mL/min' cannot be converted for egfr; left out"
    """
    notes: list[str] = getattr(alerts, "notes", [])
    assert any(plain(text) in plain(note) for note in notes), (
        f'no note mentions "{text}"; the notes are: ' + ("; ".join(notes) or "none")
    )
