"""The audit write paths ``audit_write.py`` measures: release 0.1.0's ORM flush, and the group commit now
(waited for from a thread, or awaited from a coroutine as the routes do)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import registry, sessionmaker

from service.audit import AuditStore, IssuedCard
from service.audit.tables import cards, evaluations
from service.database import make_engine

Writer = Callable[[int], None]

# --- release 0.1.0's path: ORM objects, flush, commit (kept here only to measure it) ---------------


class _Evaluation:
    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)


class _Card(_Evaluation):
    pass


_orm = registry()
_orm.map_imperatively(_Evaluation, evaluations)
_orm.map_imperatively(_Card, cards)


def _old_engine(url: str) -> Engine:
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    return engine


def _orm_writer(url: str) -> tuple[Writer, Engine]:
    engine = _old_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)

    def write(i: int) -> None:
        evaluation_id = str(uuid.uuid4())
        with sessions() as session, session.begin():
            session.add(_Evaluation(**_evaluation_row(evaluation_id)))
            session.flush()
            session.add(_Card(**_card_row(evaluation_id)))

    return write, engine


def _evaluation_row(evaluation_id: str) -> dict[str, Any]:
    return {
        "id": evaluation_id,
        "created_at": datetime.now(UTC),
        "service": "patient-view",
        "hook": "patient-view",
        "hook_instance": str(uuid.uuid4()),
        "ruleset_version": "bench",
        "topics": ["iris-risk"],
        "card_count": 1,
        "latency_ms": 1.234,
        "patient_hash": "ab" * 32,
    }


def _card_row(evaluation_id: str) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "evaluation_id": evaluation_id,
        "service": "patient-view",
        "rule_id": "iris-risk",
        "rule_version": "1.0.0",
        "topic": "iris-risk",
        "indicator": "warning",
        "suggestion_uuids": [],
        "override_codes": ["not-relevant", "already-managed"],
    }


def _evaluation() -> dict[str, Any]:
    """One patient-view evaluation with one card, as the routes hand it to the store."""
    card = IssuedCard(str(uuid.uuid4()), "iris-risk", "1.0.0", "iris-risk", "warning", [], ["a", "b"])
    return {
        "service": "patient-view",
        "hook": "patient-view",
        "hook_instance": str(uuid.uuid4()),
        "ruleset_version": "bench",
        "topics": ["iris-risk"],
        "latency_ms": 1.234,
        "patient_hash": "ab" * 32,
        "cards": [card],
    }


def _store_writer(url: str) -> tuple[Writer, Engine]:
    engine = make_engine(url)
    store = AuditStore(engine)

    def write(i: int) -> None:
        store.record_evaluation(**_evaluation())

    return write, engine


AsyncWriter = Callable[[int], Awaitable[None]]


def _awaited_writer(url: str) -> tuple[AsyncWriter, Engine]:
    """The service's path: each request a coroutine awaiting its record (no thread held per request)."""
    engine = make_engine(url)
    store = AuditStore(engine)

    async def write(i: int) -> None:
        await store.record_evaluation_async(**_evaluation())

    return write, engine


PATHS = {"before (ORM flush)": _orm_writer, "now (group commit)": _store_writer}
AWAITED_PATHS = {"now (group commit, awaited)": _awaited_writer}
