"""The rule catalogue the web page shows: each rule with its statements, evidence, citations, thresholds and
the Gherkin scenarios that specify it.

Scenarios are read from ``features/`` with the ``gherkin`` parser (the one pytest-bdd uses) and tied to a
rule when they mention its topic code: in a step, an Examples cell, or a tag of the scenario or feature.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.knowledge import KnowledgeBase
from engine.paths import default_features_dir
from service.mutation_scores import load_scores

FEATURES_DIR = default_features_dir()
SYSTEM_LABELS = {
    "icd10cm": "ICD-10-CM",
    "icd10": "WHO ICD-10",
    "icd11": "ICD-11 MMS",
    "snomed": "SNOMED CT",
    "loinc": "LOINC",
    "rxnorm": "RxNorm",
    "atc": "WHO ATC",
    "ciel": "CIEL (OpenMRS)",
    "hiv-dak": "WHO SMART HIV",
}


def _steps(node: dict[str, Any]) -> list[str]:
    return [f"{s['keyword'].strip()} {s['text']}" for s in node.get("steps", [])]


def _examples(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    tables = []
    for ex in scenario.get("examples", []):
        header = [c["value"] for c in (ex.get("tableHeader") or {}).get("cells", [])]
        rows = [[c["value"] for c in row.get("cells", [])] for row in ex.get("tableBody", [])]
        tables.append({"name": ex.get("name", ""), "header": header, "rows": rows})
    return tables


def read_features(directory: Path = FEATURES_DIR) -> list[dict[str, Any]]:
    """Every scenario under ``directory``: file, feature, name, line, steps (background first), examples."""
    # Imported here: a worker reads the features only when the catalogue is first asked for.
    from gherkin.parser import Parser
    from gherkin.token_scanner import TokenScanner

    scenarios: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.feature")) if directory.is_dir() else []:
        try:
            document = Parser().parse(TokenScanner(path.read_text(encoding="utf-8")))
        except Exception:
            continue
        feature: dict[str, Any] = dict(document.get("feature") or {})
        feature_tags = [t["name"].lstrip("@") for t in feature.get("tags", [])]
        children: list[dict[str, Any]] = [dict(c) for c in feature.get("children", [])]
        background: list[str] = []
        while children:
            child = children.pop(0)
            if "background" in child:
                background = _steps(child["background"])
            elif "rule" in child:
                children[:0] = child["rule"].get("children", [])
            elif "scenario" in child:
                sc = child["scenario"]
                scenarios.append(
                    {
                        "file": path.relative_to(directory.parent).as_posix(),
                        "feature": feature.get("name", ""),
                        "feature_tags": feature_tags,
                        "name": sc.get("name", ""),
                        "keyword": sc.get("keyword", "Scenario"),
                        "line": sc.get("location", {}).get("line"),
                        "tags": [t["name"].lstrip("@") for t in sc.get("tags", [])],
                        "background": background,
                        "steps": _steps(sc),
                        "examples": _examples(sc),
                    }
                )
    return scenarios


def mentions(scenario: dict[str, Any], topic: str) -> bool:
    """True when the scenario names ``topic`` in a step, an Examples cell, or a tag."""
    pattern = re.compile(rf"(?<![a-z0-9-]){re.escape(topic)}(?![a-z0-9-])")
    texts = [*scenario["steps"], *scenario["tags"], *scenario["feature_tags"]]
    texts += [cell for table in scenario["examples"] for row in table["rows"] for cell in row]
    return any(pattern.search(text) for text in texts)


def runs(scenario: dict[str, Any]) -> int:
    """How many scenarios a runner counts for this one: each Examples row of an outline is one."""
    return sum(len(table["rows"]) for table in scenario["examples"]) or 1


def build_catalogue(kb: KnowledgeBase, features_dir: Path = FEATURES_DIR) -> dict[str, Any]:
    """The catalogue as JSON: rule-set version and one entry per rule, in topic order."""
    scenarios = read_features(features_dir)
    mutation = load_scores(kb)
    rules = []
    for rule in sorted(kb.rules.values(), key=lambda r: (r.status.value != "active", r.topic)):
        params = kb.params(rule.id)
        rules.append(
            {
                "id": rule.id,
                "version": rule.version,
                "status": rule.status.value,
                "title": rule.title,
                "topic": rule.topic,
                "indicator": rule.indicator.value,
                "escalates_to": [e.indicator.value for e in rule.escalate],
                "evidence": rule.evidence,
                "evidence_note": rule.evidence_note,
                "summary": rule.summary,
                "detail": rule.detail,
                "safety": rule.safety,
                "concludes": list(rule.concludes),
                "statements": [
                    {"id": s.id, "source": s.source, "text": s.text, "evidence": s.evidence}
                    for s in (kb.statements[sid] for sid in rule.statements)
                ],
                "citations": [{"id": s.id, "citation": s.citation, "url": s.url} for s in kb.citations(rule)],
                "parameters": [
                    {
                        "name": name,
                        "value": params[name],
                        "default": p.value,
                        "unit": p.unit,
                        "min": p.min,
                        "max": p.max,
                        "description": p.description,
                    }
                    for name, p in rule.parameters.items()
                ],
                "links": [{"label": link.label, "url": link.url} for link in rule.links],
                "scenarios": [s for s in scenarios if mentions(s, rule.topic)],
                "mutation": mutation.get(rule.id),
            }
        )
    return {
        "ruleset_version": kb.version,
        "rules": rules,
        "scenario_count": sum(runs(s) for s in scenarios),
        "concepts": recognised_concepts(kb),
    }


def recognised_concepts(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Per concept (conditions, medications, observations): the code systems it is recognised in, how many
    codes each lists, and the names matched in free text."""
    vs = kb.value_sets
    names = {
        "conditions": {c: spec.text for c, spec in vs.conditions.items()},
        "medications": {c: spec.text for c, spec in vs.medications.items()},
        "observations": {},
    }
    concepts = []
    for kind in ("conditions", "medications", "observations"):
        counts = vs.terminology.counts(kind)
        for concept in sorted(set(counts) | set(names[kind])):
            concepts.append(
                {
                    "kind": kind.rstrip("s"),
                    "concept": concept,
                    "systems": [
                        {
                            "name": system,
                            "label": SYSTEM_LABELS.get(system, system),
                            "uri": vs.systems.get(system, system),
                            "codes": n,
                        }
                        for system, n in counts.get(concept, {}).items()
                    ],
                    "names": names[kind].get(concept, []),
                }
            )
    return concepts
