"""JUnit XML of a run: one ``testsuite`` per suite file, one ``testcase`` per scenario."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from service.suites.cards import card_labels
from service.suites.results import ScenarioResult, SuiteRun


def _body(result: ScenarioResult) -> str:
    lines = [f"{result.suite}:{result.line}" if result.line else result.suite]
    lines += [f"expected: {e}" for e in result.expected]
    lines += [f"problem: {p}" for p in result.problems]
    lines.append(f"actual cards: {card_labels(result.actual)}")
    return "\n".join(lines)


def junit_xml(run: SuiteRun) -> ET.Element:
    """The ``testsuites`` element of the run."""
    per_file: dict[str, list[ScenarioResult]] = defaultdict(list)
    for r in run.results:
        per_file[r.suite].append(r)
    root = ET.Element(
        "testsuites",
        name="clinrules",
        tests=str(len(run.results)),
        failures=str(run.count("failed")),
        errors=str(run.count("error")),
        time=f"{run.duration:.3f}",
    )
    for suite, results in per_file.items():
        element = ET.SubElement(
            root,
            "testsuite",
            name=suite,
            tests=str(len(results)),
            failures=str(sum(r.status == "failed" for r in results)),
            errors=str(sum(r.status == "error" for r in results)),
            skipped="0",
            time=f"{sum(r.duration for r in results):.3f}",
        )
        for r in results:
            case = ET.SubElement(element, "testcase", classname=suite, name=r.title, time=f"{r.duration:.3f}")
            if r.line:
                case.set("line", str(r.line))
            if r.status != "passed":
                tag = "failure" if r.status == "failed" else "error"
                detail = ET.SubElement(case, tag, message="; ".join(r.problems)[:1000] or r.status)
                detail.text = _body(r)
            if r.actual is not None:
                out = ET.SubElement(case, "system-out")
                out.text = f"cards: {card_labels(r.actual)}"
    return root


def write_junit(run: SuiteRun, path: Path) -> None:
    """Write the run's JUnit XML to ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(junit_xml(run))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
