"""What the app holds between requests: settings, the compiled rules, the database, the JWT verifier."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from engine.derive import DerivationSettings
from engine.evaluator import Evaluator
from engine.knowledge import KnowledgeBase, load_knowledge_base
from service.audit import AuditStore
from service.audit.migrate import SchemaVersionError, prepare
from service.database import make_engine
from service.metrics import Metrics
from service.security import JwtVerifier
from service.settings import Settings

log = logging.getLogger("service.state")


@dataclass
class ServiceState:
    """Built once by the app's lifespan; read-only afterwards (safe to share between threads)."""

    settings: Settings
    kb: KnowledgeBase
    evaluator: Evaluator
    engine: Engine
    audit: AuditStore
    salt: bytes
    metrics: Metrics
    verifier: JwtVerifier | None

    def close(self) -> None:
        """Write the audit records still queued, then release database connections."""
        self.audit.close()
        self.engine.dispose()


def build_state(settings: Settings, metrics: Metrics) -> ServiceState:
    """Load and compile the rules, open the database and bring its schema up to date (or refuse a newer
    one: :class:`service.audit.migrate.SchemaVersionError`), and prepare JWT verification."""
    kb = load_knowledge_base(settings.rules_dir, settings.thresholds)
    evaluator = Evaluator(kb, DerivationSettings(time_zone=settings.zone))
    engine = make_engine(settings.database_url, settings.database_timeout_seconds)
    try:
        prepare(engine, settings.database_auto_upgrade)
    except SchemaVersionError as exc:
        log.critical("the database schema cannot be used: %s", exc)  # the reason, not just a traceback
        engine.dispose()
        raise
    except Exception:
        engine.dispose()
        raise
    audit = AuditStore(engine)
    verifier = (
        JwtVerifier(settings.jwt_issuers, audit, settings.jwt_leeway_seconds, settings.jwt_max_age_seconds)
        if settings.jwt_enabled
        else None
    )
    return ServiceState(
        settings=settings,
        kb=kb,
        evaluator=evaluator,
        engine=engine,
        audit=audit,
        salt=settings.resolve_salt(),
        metrics=metrics,
        verifier=verifier,
    )
