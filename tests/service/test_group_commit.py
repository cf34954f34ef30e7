"""Group commit: requests that wait together share one transaction, and a request whose rows fail gets its
own error while the others of its batch are stored."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, event, func, select
from sqlalchemy.exc import IntegrityError

from service.audit.group_commit import GroupCommitter
from service.audit.migrate import upgrade
from service.audit.rows import InsertSql
from service.audit.tables import seen_tokens
from service.database import make_engine


def _token(key: str) -> list[tuple[int, list[tuple[Any, ...]]]]:
    return [(0, [(key * 64, datetime.now(UTC))])]


def test_a_failing_request_fails_alone_and_batches_are_shared(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    writer = GroupCommitter(
        engine, [InsertSql("INSERT INTO seen_tokens (key, expires_at) VALUES ", f"({mark}, {mark})", 2)]
    )
    transactions: list[int] = []  # requests queued while the writer was busy
    started = threading.Event()

    def slow(conn: Connection) -> None:  # holds the writer so that the next requests queue up together
        started.set()
        time.sleep(0.5)

    def broken(conn: Connection) -> None:
        raise ValueError("bad rows")

    try:
        with ThreadPoolExecutor(6) as pool:
            first = pool.submit(writer.run, _token("a"), slow)
            assert started.wait(10)
            later = [pool.submit(writer.run, _token(k)) for k in "bcd"]
            bad = pool.submit(writer.run, _token("e"), broken)
            deadline = time.monotonic() + 10
            while writer._queue.qsize() < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            transactions.append(writer._queue.qsize())  # all four wait behind the slow one, in one batch
            first.result(timeout=30)
            for f in later:
                f.result(timeout=30)
            with pytest.raises(ValueError, match="bad rows"):
                bad.result(timeout=30)
    finally:
        writer.close()
        engine.dispose()
    assert transactions == [4]
    reader = create_engine(database_url)
    with reader.connect() as conn:
        keys = sorted(k[0] for k in conn.execute(select(seen_tokens.c.key)).scalars())
        assert conn.scalar(select(func.count()).select_from(seen_tokens)) == 4
    reader.dispose()
    assert keys == ["a", "b", "c", "d"]


def _committer(database_url: str, gather_seconds: float) -> tuple[GroupCommitter, Any, list[int]]:
    engine = make_engine(database_url)
    upgrade(engine)
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    commits: list[int] = []
    event.listen(engine, "commit", lambda _conn: commits.append(1))
    writer = GroupCommitter(
        engine,
        [InsertSql("INSERT INTO seen_tokens (key, expires_at) VALUES ", f"({mark}, {mark})", 2)],
        gather_seconds=gather_seconds,
    )
    return writer, engine, commits


def _stored_keys(database_url: str) -> list[str]:
    reader = create_engine(database_url)
    with reader.connect() as conn:
        keys = sorted(k[0] for k in conn.execute(select(seen_tokens.c.key)).scalars())
    reader.dispose()
    return keys


def test_an_awaited_record_is_committed_when_the_await_returns_even_if_its_task_is_cancelled(
    database_url: str,
) -> None:
    writer, engine, _ = _committer(database_url, gather_seconds=0.0)
    held = threading.Event()

    def hold(conn: Connection) -> None:  # keeps the writer busy while the next request is cancelled
        held.set()
        time.sleep(0.3)

    async def scenario() -> None:
        await writer.run_async(_token("a"))
        assert _stored_keys(database_url) == ["a"]  # on disk before the await returned
        first = asyncio.create_task(writer.run_async(_token("b"), hold))
        while not held.is_set():
            await asyncio.sleep(0.01)
        cancelled = asyncio.create_task(writer.run_async(_token("c")))
        await asyncio.sleep(0.01)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        await first

    try:
        asyncio.run(scenario())
    finally:
        writer.close()
        engine.dispose()
    assert _stored_keys(database_url) == ["a", "b", "c"]  # the client went away; its record is kept


def test_a_busy_writer_gathers_requests_into_one_commit_and_a_lone_one_does_not_wait(
    database_url: str,
) -> None:
    writer, engine, commits = _committer(database_url, gather_seconds=0.5)
    try:
        started = time.monotonic()
        writer.run(_token("a"))  # alone: written at once, not after the gather window
        assert time.monotonic() - started < 0.5
        writer._busy = True  # as after a batch of several requests
        commits.clear()
        with ThreadPoolExecutor(3) as pool:
            done = []
            for key in "bcd":  # arriving one after another, within the window
                done.append(pool.submit(writer.run, _token(key)))
                time.sleep(0.05)
            for future in done:
                future.result(timeout=30)
    finally:
        writer.close()
        engine.dispose()
    assert commits == [1]
    assert _stored_keys(database_url) == ["a", "b", "c", "d"]


def test_rows_the_database_refuses_raise_sqlalchemys_error_and_the_writer_carries_on(
    database_url: str,
) -> None:
    writer, engine, _ = _committer(database_url, gather_seconds=0.0)
    try:
        writer.run(_token("a"))
        with pytest.raises(IntegrityError):  # the same key again: as SQLAlchemy would raise it
            writer.run(_token("a"))
        writer.run(_token("b"))
    finally:
        writer.close()
        engine.dispose()
    assert _stored_keys(database_url) == ["a", "b"]


def test_records_queued_when_the_store_closes_are_all_written(database_url: str) -> None:
    writer, engine, _ = _committer(database_url, gather_seconds=0.0)
    started = threading.Event()

    def slow(conn: Connection) -> None:
        started.set()
        time.sleep(0.3)

    try:
        with ThreadPoolExecutor(4) as pool:
            first = pool.submit(writer.run, _token("a"), slow)
            assert started.wait(10)
            queued = [pool.submit(writer.run, _token(k)) for k in "bc"]
            deadline = time.monotonic() + 10
            while writer._queue.qsize() < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            writer.close()  # while b and c wait behind a
            for future in [first, *queued]:
                future.result(timeout=30)
        with pytest.raises(RuntimeError, match="closed"):
            writer.run(_token("d"))
    finally:
        engine.dispose()
    assert _stored_keys(database_url) == ["a", "b", "c"]
