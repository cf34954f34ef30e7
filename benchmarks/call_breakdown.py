"""Where the CPU of one patient-view call goes: each stage the route runs, timed alone in this process.

    python benchmarks/call_breakdown.py [--runs 5] [--calls 400] [--long] [--write]

The request is the 40-resource patient-view of ``http_load.py`` (the one ``server_ratio.py`` sends); with
``--long``, the long one of ``server_ratio.py`` (106 resources, 37 kB), in a section of its own. The
stages are the functions ``service.routes.cds_hooks.call_service`` calls, in its order, each on its own
input prepared beforehand:

* ``JSON body``          ``service.json_body.parse_json_body`` (msgspec; the exact parser only when in doubt);
* ``request models``     ``CdsRequest`` and the hook's context model;
* ``FHIR intake``        ``engine.fhir.scenario_from_resources`` of the prefetch (memos warm);
* ``rules``              ``Evaluator.evaluate``: derivation, durable-rules, findings and their explanations;
* ``cards``              the cards, their JSON and what the audit keeps of them;
* ``audit record``       ``AuditStore.record_evaluation_async`` awaited on an event loop: rows, the writer
                         thread, the insert, the fsynced commit (SQLite, ``synchronous=FULL``), the wake-up;
* ``response``           the response body (msgspec).

CPU time of the whole process (``time.process_time``: the audit writer's thread included) per call; each run
gives every stage's mean over ``--calls`` calls, and the table shows the median of the runs and their range
(min-max).

The second column times the same stages inside whole calls (``_in_app.py``): the service's ASGI app called
in this process, one request after another, each stage's functions wrapped to add up their CPU time, with
no server, socket or HTTP parser around it; each run alternates with a run of the stages alone. There the
stages take turns with each other and with the framework, the middleware and the metrics, as they do in
the server, and each finds less of its own code and data still in the CPU's caches than when it runs over
and over alone. The rows below the stages give the rest of the call (FastAPI, Starlette, the service's
middleware, the metrics), the whole call, and the empty endpoint of ``server_ratio.py`` called the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import machine, table, write_section
from _in_app import AppCalls
from _patient_view import KEYS, patient_view_request
from server_ratio import LONG_HISTORY_VISITS, new_instances

from engine.evaluator import Evaluator
from engine.fhir import scenario_from_resources
from engine.knowledge import load_knowledge_base
from service.audit.migrate import prepare
from service.audit.store import AuditStore
from service.cds.cards import cards_for, issued
from service.cds.models import CdsRequest
from service.cds.services import SERVICES
from service.database import make_engine
from service.json_body import parse_json_body
from service.responses import FastJSONResponse
from service.settings import Settings


def stages(
    request: dict[str, Any], audit: AuditStore, loop: asyncio.AbstractEventLoop
) -> list[tuple[str, Callable[[int], None]]]:
    """Each stage of ``request`` as ``n`` calls on inputs made beforehand (the output of the stage before)."""
    settings = Settings()
    evaluator = Evaluator(load_knowledge_base(settings.rules_dir, settings.thresholds))
    body = json.dumps(request).encode()
    service = SERVICES["patient-view"]
    now = datetime.now(UTC)
    data = parse_json_body(body, "application/json", settings.max_json_depth)
    prefetch = data["prefetch"]
    resources = [prefetch["patient"]] + [
        entry["resource"] for key in list(KEYS.values())[1:] for entry in prefetch[key]["entry"]
    ]
    scenario = scenario_from_resources(resources, [], evaluation_time=now).checked().scenario
    evaluation = evaluator.evaluate(scenario, now)
    base = "http://127.0.0.1:8000"
    value_sets = evaluator.kb.value_sets

    def cards() -> tuple[list[dict[str, Any]], list[Any]]:
        pairs = cards_for(evaluation.findings, base, [], value_sets)
        return [c for _, c in pairs], [issued(c, f) for f, c in pairs]

    shown, kept = cards()

    async def records(n: int) -> None:
        for _ in range(n):
            await audit.record_evaluation_async(
                service=service.id,
                hook=service.hook,
                hook_instance=str(uuid.uuid4()),
                ruleset_version=evaluation.ruleset_version,
                topics=[c.topic for c in kept],
                latency_ms=1.0,
                patient_hash="0" * 64,
                cards=[replace(card, uuid=str(uuid.uuid4())) for card in kept],  # new ids, as issued
            )

    def models() -> Any:
        parsed = CdsRequest.model_validate(data)
        return service.context_model.model_validate(parsed.context)

    def repeat(call: Callable[[], Any]) -> Callable[[int], None]:
        def calls(n: int) -> None:
            for _ in range(n):
                call()

        return calls

    depth = settings.max_json_depth
    return [
        ("JSON body", repeat(lambda: parse_json_body(body, "application/json", depth))),
        ("request models", repeat(models)),
        ("FHIR intake", repeat(lambda: scenario_from_resources(resources, [], evaluation_time=now))),
        ("rules", repeat(lambda: evaluator.evaluate(scenario, now))),
        ("cards", repeat(cards)),
        ("audit record", lambda n: loop.run_until_complete(records(n))),  # awaited, as the route does
        ("response", repeat(lambda: FastJSONResponse({"cards": shown}))),
    ]


def main() -> int:
    """Time each stage alone and inside whole calls; print the table, and write it with ``--write``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--long", action="store_true", help="the long patient-view (106 resources)")
    parser.add_argument("--write", action="store_true", help="store the table in RESULTS.md")
    args = parser.parse_args()
    visits = LONG_HISTORY_VISITS if args.long else 0
    request, count = patient_view_request("breakdown-1", KEYS, older_visits=visits)
    assert count == 40 + 2 * visits
    bodies = new_instances(json.dumps(request).encode(), str(request["hookInstance"]).encode())
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'audit.db'}")
        prepare(engine, True)
        audit = AuditStore(engine)
        loop = asyncio.new_event_loop()
        app = AppCalls(bodies, f"sqlite:///{Path(tmp) / 'app.db'}")
        try:
            steps = stages(request, audit, loop)
            alone: dict[str, list[float]] = {name: [] for name, _ in steps}
            inside: dict[str, list[float]] = {}
            for _, calls in steps:  # warm-up
                calls(50)
            for _ in range(args.runs):
                for name, calls in steps:
                    start = time.process_time()
                    calls(args.calls)
                    alone[name].append((time.process_time() - start) / args.calls * 1e6)
                for name, value in app.run(args.calls).items():
                    inside.setdefault(name, []).append(value)
        finally:
            app.close()
            loop.close()
            audit.close()
            engine.dispose()
    text = "\n".join(
        [
            f"Machine: {machine()}",
            "",
            f"`python benchmarks/call_breakdown.py --runs {args.runs} --calls {args.calls}"
            f"{' --long' if args.long else ''}`: CPU time of this process per call of each stage of a "
            f"{count}-resource patient-view ({len(json.dumps(request)) / 1000:.1f} kB), alone (the stage "
            "over and over) and inside whole calls of the service's app in this process (no server); "
            "median of the runs (min-max).",
            "",
            table(["stage", "alone, µs", "share", "inside whole calls, µs", "÷ alone"], _rows(alone, inside)),
        ]
    )
    print(text)
    if args.write:
        if args.long:
            title = "Where a long patient-view call's CPU goes (call_breakdown.py --long)"
            write_section("call_breakdown_long", title, text)
        else:
            write_section("call_breakdown", "Where a patient-view call's CPU goes (call_breakdown.py)", text)
    return 0


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def _rows(alone: dict[str, list[float]], inside: dict[str, list[float]]) -> list[list[str]]:
    medians = {name: statistics.median(v) for name, v in alone.items()}
    total = sum(medians.values())
    runs = len(inside["whole call"])
    summed = [sum(inside[name][i] for name in alone) for i in range(runs)]
    rest = [inside["whole call"][i] - summed[i] for i in range(runs)]
    rows = [
        [
            name,
            _cell(v),
            f"{100 * medians[name] / total:.0f}%",
            _cell(inside[name]),
            f"{statistics.median(inside[name]) / medians[name]:.1f}",
        ]
        for name, v in alone.items()
    ]
    rows.append(
        [
            "sum of the stages",
            f"{total:,.0f}",
            "100%",
            _cell(summed),
            f"{statistics.median(summed) / total:.1f}",
        ]
    )
    rows.append(["rest of the call (framework, middleware, metrics)", "", "", _cell(rest), ""])
    rows.append(["whole call, in process", "", "", _cell(inside["whole call"]), ""])
    rows.append(["empty endpoint, in process", "", "", _cell(inside["empty endpoint"]), ""])
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
