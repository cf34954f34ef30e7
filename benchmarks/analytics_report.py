"""The alert analytics report on a large audit: wall and CPU time of ``build_report`` (SQLite, PostgreSQL).

    python benchmarks/analytics_report.py [--evaluations 100000] [--runs 5] [--postgres URL]

Seeds an audit database with ``--evaluations`` evaluations spread over 26 weeks and two rule-set versions
(0-2 topics shown and 0-1 shadow topic each; a card per topic for CDS Hooks calls; feedback on half of the
cards), then times :func:`service.analytics.report.build_report` over the whole audit ``--runs`` times:
median and range. CPU is this process's (the database server's own CPU is not counted on PostgreSQL).
PostgreSQL runs when ``--postgres`` (or ``CLINRULES_TEST_POSTGRES_URL``) names a server, in a fresh schema
dropped afterwards. Nothing leaves 127.0.0.1 unless the URL says so.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import machine, table, write_section
from sqlalchemy import Engine, create_engine, insert, make_url, text

from engine.knowledge import load_knowledge_base
from service.analytics.report import build_report
from service.audit.migrate import upgrade
from service.audit.tables import cards, evaluations, feedback
from service.database import make_engine

TOPICS = [
    "iris-risk",
    "iris-suspected",
    "thalidomide-teratogenicity",
    "thalidomide-pregnancy",
    "art-timing-tb",
]


def seed(engine: Engine, count: int) -> None:
    """``count`` evaluations with cards and feedback, in batches."""
    rng = random.Random(7)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    batch_e: list[dict[str, object]] = []
    batch_c: list[dict[str, object]] = []
    batch_f: list[dict[str, object]] = []

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(insert(evaluations), batch_e)
            if batch_c:
                conn.execute(insert(cards), batch_c)
            if batch_f:
                conn.execute(insert(feedback), batch_f)
        for batch in (batch_e, batch_c, batch_f):
            batch.clear()

    for i in range(count):
        when = start + timedelta(seconds=rng.randrange(26 * 7 * 86400))
        topics = rng.sample(TOPICS, rng.choice((0, 0, 1, 1, 2)))
        service = rng.choice(("patient-view", "order-sign", "evaluate"))
        eid = str(uuid.UUID(int=i + 1))
        batch_e.append(
            {"id": eid, "created_at": when, "service": service, "hook": None, "hook_instance": None,
             "ruleset_version": "v1" if when < start + timedelta(weeks=13) else "v2", "topics": topics,
             "card_count": len(topics), "latency_ms": 3.0, "patient_hash": None,
             "shadow_topics": ["iris-risk-v2"] if rng.random() < 0.2 else []}
        )  # fmt: skip
        if service != "evaluate":
            for n, topic in enumerate(topics):
                cid = str(uuid.UUID(int=(i + 1) * 8 + n + (1 << 64)))
                batch_c.append(
                    {"uuid": cid, "evaluation_id": eid, "service": service, "rule_id": topic,
                     "rule_version": "1.0.0", "topic": topic, "indicator": "warning", "suggestion_uuids": [],
                     "override_codes": []}
                )  # fmt: skip
                if rng.random() < 0.5:
                    overridden = rng.random() < 0.7
                    batch_f.append(
                        {"received_at": when, "service": service, "card_uuid": cid, "topic": topic,
                         "outcome": "overridden" if overridden else "accepted", "accepted_suggestions": [],
                         "override_reason_system": "urn:clinrules:override-reason" if overridden else None,
                         "override_reason_code": rng.choice(("not-relevant", "already-monitored"))
                         if overridden else None, "has_user_comment": False, "outcome_timestamp": when}
                    )  # fmt: skip
        if len(batch_e) >= 5000:
            flush()
    if batch_e:
        flush()


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema on the server at ``url``, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def measure(url: str, count: int, runs: int) -> tuple[list[float], list[float], int]:
    """Seed, then time the report ``runs`` times: wall seconds, CPU seconds, rows in the report."""
    engine = make_engine(url)
    upgrade(engine)
    seed(engine, count)
    kb = load_knowledge_base()
    walls, cpus, rows = [], [], 0
    build_report(engine, kb)  # warm: connection, statement caches
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        report = build_report(engine, kb)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        rows = len(report.rows)
    engine.dispose()
    return walls, cpus, rows


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ({min(values) * 1000:.0f}–{max(values) * 1000:.0f})"


def main() -> None:
    """Run and print the table; write the RESULTS.md section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("CLINRULES_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        walls, cpus, rows = measure(f"sqlite:///{Path(tmp) / 'audit.db'}", args.evaluations, args.runs)
        results.append(["SQLite", f"{args.evaluations:,}", str(rows), _ms(walls), _ms(cpus)])
    if args.postgres:
        with postgres_schema(args.postgres) as url:
            walls, cpus, rows = measure(url, args.evaluations, args.runs)
            results.append(["PostgreSQL", f"{args.evaluations:,}", str(rows), _ms(walls), _ms(cpus)])
    headers = ["database", "evaluations", "report rows", "wall ms, median (range)", "CPU ms, median (range)"]
    body = (
        f"`python benchmarks/analytics_report.py --evaluations {args.evaluations} --runs {args.runs}` on "
        f"{machine()}.\n\n{table(headers, results)}\n\n26 weeks, two rule-set versions; the whole audit "
        "counted per day by the database, summed into weeks in Python. CPU is the report process's."
    )
    print(body)
    write_section("analytics_report", "Alert analytics report", body)


if __name__ == "__main__":
    main()
