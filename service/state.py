"""What the app holds between requests: settings, the compiled rules, the database, the JWT verifier."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.evaluator import Evaluator
from engine.knowledge import KnowledgeBase, load_knowledge_base
from service.database import init_database, make_engine, make_session_factory
from service.metrics import Metrics
from service.security import JwtVerifier
from service.settings import Settings


@dataclass
class ServiceState:
    """Built once by the app's lifespan; read-only afterwards (safe to share between threads)."""

    settings: Settings
    kb: KnowledgeBase
    evaluator: Evaluator
    engine: Engine
    sessions: sessionmaker[Session]
    salt: bytes
    metrics: Metrics
    verifier: JwtVerifier | None

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def build_state(settings: Settings, metrics: Metrics) -> ServiceState:
    """Load and compile the rules, open the database, create tables, and prepare JWT verification."""
    kb = load_knowledge_base(settings.rules_dir, settings.thresholds)
    evaluator = Evaluator(kb)
    db_path = settings.sqlite_path
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    init_database(engine)
    sessions = make_session_factory(engine)
    verifier = (
        JwtVerifier(settings.jwt_issuers, sessions, settings.jwt_leeway_seconds, settings.jwt_max_age_seconds)
        if settings.jwt_enabled
        else None
    )
    return ServiceState(
        settings=settings,
        kb=kb,
        evaluator=evaluator,
        engine=engine,
        sessions=sessions,
        salt=settings.resolve_salt(),
        metrics=metrics,
        verifier=verifier,
    )
