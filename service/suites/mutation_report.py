"""What ``clinrules rules mutate`` reports: the score per rule and per kind, every survivor in words, as a
table, JSON or JUnit XML, and the per-rule scores file the web catalogue shows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine.mutation.mutants import KINDS
from service.mutation_scores import SCORES_FORMAT, file_hash, suites_hash
from service.suites.mutate import MutantResult, MutationRun

STATUSES = ("killed", "survived", "invalid", "equivalent")


def tally(results: Iterable[MutantResult]) -> dict[str, Any]:
    """Counts per status and the score: killed / (killed + survived), None when there is nothing to score."""
    counts: Counter[str] = Counter(r.status for r in results)
    row: dict[str, Any] = {status: counts.get(status, 0) for status in STATUSES}
    row["mutants"] = sum(counts.values())
    scored = row["killed"] + row["survived"]
    row["score"] = round(row["killed"] / scored, 4) if scored else None
    return row


def by(run: MutationRun, key: str) -> dict[str, dict[str, Any]]:
    """Tallies per rule (``key="rule"``) or per mutant kind (``key="kind"``)."""
    groups: dict[str, list[MutantResult]] = defaultdict(list)
    for r in run.results:
        groups[r.mutant.rule_id if key == "rule" else r.mutant.kind].append(r)
    order = sorted(groups) if key == "rule" else [k for k in KINDS if k in groups]
    return {name: tally(groups[name]) for name in order}


def percent(score: float | None) -> str:
    """``96.2%``, or ``n/a`` when nothing could be scored."""
    return "n/a" if score is None else f"{score * 100:.1f}%"


def _table(title: str, first: str, rows: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title)
    table.add_column(first)
    for column in ("mutants", *STATUSES, "score"):
        table.add_column(column, justify="right")
    for name, row in rows.items():
        style = "red" if row["survived"] else ""
        table.add_row(
            name, *(str(row[c]) for c in ("mutants", *STATUSES)), percent(row["score"]), style=style
        )
    return table


def print_report(run: MutationRun, console: Console) -> None:
    """The per-rule and per-kind tables, every survivor, equivalent and invalid mutant, and the score."""
    console.print(_table("mutation score per rule", "rule", by(run, "rule")))
    console.print(_table("per kind of change", "kind", by(run, "kind")))
    sections = (
        ("survived", "Surviving mutants: no scenario notices these changes", "bold red"),
        ("equivalent", "Known equivalent (mutation-equivalents.yaml)", "cyan"),
        ("invalid", "Invalid (the loader refuses them)", "magenta"),
    )
    for status, heading, style in sections:
        chosen = [r for r in run.results if r.status == status]
        if chosen:
            console.print(f"\n[{style}]{heading}[/]")
            for r in chosen:
                extra = "" if status == "survived" else f" — {r.detail}"
                console.print(f"  {escape(r.mutant.title)}{escape(extra)}", highlight=False)
                if status == "survived":
                    console.print(
                        f"    [dim]kind: {r.mutant.kind} · target: {escape(r.mutant.target)}"
                        f" · at {r.mutant.where}[/dim]",
                        highlight=False,
                    )
    if run.excluded:
        console.print(
            f"\n[bold red]{len(run.excluded)} scenario(s) fail on the rules as they are and were left out[/] "
            "(fix them with clinrules test):"
        )
        for line in run.excluded:
            console.print(f"  {escape(line)}", highlight=False)
    for warning in run.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    total = tally(run.results)
    console.print(
        f"\n{total['mutants']} mutants: {total['killed']} killed, {total['survived']} survived, "
        f"{total['invalid']} invalid, {total['equivalent']} equivalent; "
        f"score {percent(total['score'])} (scenarios: {run.scenarios} · workers: {run.workers} · "
        f"{run.duration:.1f} s)",
        highlight=False,
    )


def _result_json(r: MutantResult) -> dict[str, Any]:
    return {
        "id": r.mutant.id,
        "rule": r.mutant.rule_id,
        "kind": r.mutant.kind,
        "where": r.mutant.where,
        "target": r.mutant.target,
        "change": r.mutant.change,
        "status": r.status,
        "detail": r.detail,
        "killed_by": r.killed_by,
        "scenarios_run": r.scenarios_run,
        "listed_equivalent_but_killed": r.wrongly_equivalent,
    }


def run_json(run: MutationRun) -> dict[str, Any]:
    """The whole run as JSON: summary, per rule, per kind, every mutant."""
    return {
        "rules_dir": run.rules_dir,
        "ruleset_version": run.ruleset_version,
        "suites": run.suite_files,
        "scenarios": run.scenarios,
        "workers": run.workers,
        "equivalents_file": run.equivalents_file,
        "duration_seconds": round(run.duration, 3),
        "summary": tally(run.results),
        "rules": by(run, "rule"),
        "kinds": by(run, "kind"),
        "mutants": [_result_json(r) for r in run.results],
        "warnings": run.warnings,
        "excluded_scenarios": run.excluded,
    }


def write_junit(run: MutationRun, path: Path) -> None:
    """JUnit XML: a test suite per rule, a test case per mutant; a survivor is a failure, an invalid or
    equivalent mutant is skipped with the reason."""
    root = ET.Element("testsuites", name="clinrules mutation", time=f"{run.duration:.3f}")
    root.set("tests", str(len(run.results)))
    root.set("failures", str(sum(r.status == "survived" for r in run.results)))
    groups: dict[str, list[MutantResult]] = defaultdict(list)
    for r in run.results:
        groups[r.mutant.rule_id].append(r)
    for rule_id, results in sorted(groups.items()):
        suite = ET.SubElement(root, "testsuite", name=rule_id, tests=str(len(results)))
        suite.set("failures", str(sum(r.status == "survived" for r in results)))
        suite.set("skipped", str(sum(r.status in ("invalid", "equivalent") for r in results)))
        suite.set("errors", "0")
        for r in results:
            case = ET.SubElement(
                suite, "testcase", classname=rule_id, name=f"{r.mutant.kind}: {r.mutant.change}"
            )
            if r.status == "survived":
                failure = ET.SubElement(case, "failure", message=f"mutant survived: {r.mutant.title}")
                failure.text = (
                    f"No scenario fails when {r.mutant.rule_id} is changed: {r.mutant.change} "
                    f"({r.mutant.where}). Add a scenario that tells the two apart, or list the mutant as "
                    "equivalent with the reason."
                )
            elif r.status in ("invalid", "equivalent"):
                ET.SubElement(case, "skipped", message=f"{r.status}: {r.detail}"[:1000])
            elif r.killed_by:
                out = ET.SubElement(case, "system-out")
                out.text = f"killed by {r.killed_by}: {r.detail}"
    if run.excluded:
        baseline = ET.SubElement(root, "testsuite", name="(scenarios failing on the rules as they are)")
        baseline.set("tests", str(len(run.excluded)))
        baseline.set("errors", str(len(run.excluded)))
        for line in run.excluded:
            case = ET.SubElement(baseline, "testcase", classname="baseline", name=line.split(": ")[1])
            ET.SubElement(case, "error", message="fails without any mutation: left out").text = line
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def scores_json(run: MutationRun) -> dict[str, Any]:
    """The per-rule scores the catalogue shows, tied to the rule-set version and the suites they came from."""
    return {
        "format": SCORES_FORMAT,
        "ruleset_version": run.ruleset_version,
        "suites_hash": suites_hash(run.suite_files),
        "equivalents_hash": file_hash(Path(run.equivalents_file)),
        "summary": tally(run.results),
        "rules": {
            rule_id: {k: row[k] for k in ("mutants", *STATUSES, "score")}
            for rule_id, row in by(run, "rule").items()
        },
        "survivors": [r.mutant.title for r in run.results if r.status == "survived"],
    }
