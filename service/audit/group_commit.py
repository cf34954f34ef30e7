"""Group commit: one writer thread per process commits the records of many requests in one transaction.

A request hands its rows to the writer and waits; the writer takes everything queued, inserts it with one
multi-row driver ``INSERT`` per table, commits (one fsync for the whole batch) and only then releases each
waiter, with the error of its own rows if they failed. So an answer is sent only once its record is on
disk, and the cost of a commit, and of SQLite's single writer lock, is shared by every request that came
meanwhile.

A waiter is a thread (:meth:`GroupCommitter.run`, blocking on a lock) or a coroutine
(:meth:`GroupCommitter.run_async`, awaiting a future the writer settles through its event loop): an
``async`` route awaits its record without holding a thread of the pool.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from service.audit.rows import InsertSql

log = logging.getLogger("service.audit")

Rows = Sequence[tuple[int, Sequence[tuple[Any, ...]]]]
"""A request's rows: (index of the insert statement, its rows as driver values); run in index order."""
Work = Callable[[Connection], Any]
"""Work of one request that needs its own result (run after the batch's inserts, same transaction)."""


GATHER_SECONDS = 0.002
"""How long the writer lets a batch fill when the previous one held several requests (never when it held
one: a lone caller is written at once)."""


class _Item:
    """One request's rows, and how its waiter is told that the writer has committed them: a lock its
    thread blocks on, or a future of its event loop."""

    __slots__ = ("done", "error", "future", "result", "rows", "work")

    def __init__(self, rows: Rows, work: Work | None, future: asyncio.Future[None] | None = None) -> None:
        self.rows, self.work = rows, work
        self.result: Any = None
        self.error: BaseException | None = None
        self.future = future
        self.done: threading.Lock | None = None
        if future is None:
            self.done = threading.Lock()  # a bare lock is the cheapest one-shot event: held until committed
            self.done.acquire()

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        """Record the outcome; release a waiting thread (a coroutine is woken by :func:`_wake`)."""
        self.result, self.error = result, error
        if self.done is not None:
            self.done.release()


def _settle(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)


def _wake(items: Sequence[_Item]) -> None:
    """Wake the coroutines among ``items``: one call into each event loop for the whole batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for item in items:
        if item.future is not None:
            by_loop.setdefault(item.future.get_loop(), []).append(item.future)
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, futures)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            log.info("audit waiters' event loop closed before their records were committed")


class GroupCommitter:
    """Writes requests' rows in shared transactions on a background thread (started on first use)."""

    def __init__(
        self,
        engine: Engine,
        inserts: Sequence[InsertSql],
        max_batch: int = 512,
        gather_seconds: float = GATHER_SECONDS,
    ) -> None:
        self.engine = engine
        self.inserts = list(inserts)
        self.max_batch = max_batch
        self.gather_seconds = gather_seconds
        self._busy = False  # the last batch held several requests' rows: others are writing too
        # A C-implemented queue: one put wakes the writer, with no Condition and no per-wait lock to make.
        # ``None`` asks the writer to stop once everything queued before it is written.
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards starting the thread and closing
        self._thread: threading.Thread | None = None
        self._closed = False
        # The writer's own connection, kept between batches: no pool checkout, liveness ping or reset
        # round trip per batch. Dropped after any error, so the next batch connects afresh.
        self._conn: Connection | None = None

    def run(self, rows: Rows = (), work: Work | None = None) -> Any:
        """Write ``rows`` (and run ``work``) in the next batch; return ``work``'s result once committed."""
        item = _Item(rows, work)
        self._enqueue(item)
        assert item.done is not None
        item.done.acquire()
        if item.error is not None:
            raise item.error
        return item.result

    async def run_async(self, rows: Rows = (), work: Work | None = None) -> Any:
        """:meth:`run` for a coroutine: await the commit without holding a thread.

        If the awaiting task is cancelled (its client went away), the rows are still written.
        """
        future = asyncio.get_running_loop().create_future()
        item = _Item(rows, work, future)
        self._enqueue(item)
        # Cancelling the waiting task cancels only this future: the writer never looks at it but to settle
        # it (when still pending), so the rows are written all the same.
        await future
        if item.error is not None:
            raise item.error
        return item.result

    def _enqueue(self, item: _Item) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._closed:
                    self._thread = threading.Thread(target=self._loop, name="audit-group-commit", daemon=True)
                    self._thread.start()
        if self._closed:
            raise RuntimeError("the audit store is closed")
        self._queue.put(item)

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

    def _loop(self) -> None:
        pending: list[_Item] = []
        stopping = False
        while True:
            if not pending and not stopping:
                first = self._queue.get()
                if first is None:
                    stopping = True
                else:
                    pending.append(first)
            if self._busy and not stopping and len(pending) < self.max_batch:
                # Under concurrent load, let the batch fill for a moment: one commit (its fsync, its
                # transaction) then serves more records. The requesters do not wake this thread meanwhile.
                time.sleep(self.gather_seconds)
            # Take what else is queued; after the stop sign too, so that a record queued while the store
            # was closing is still written, never left waiting.
            while len(pending) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                else:
                    pending.append(more)
            if not pending:
                self._drop_connection()
                return
            batch, pending = pending[: self.max_batch], pending[self.max_batch :]
            self._busy = len(batch) > 1
            self._commit(batch)

    def _write(self, conn: Connection, batch: list[_Item]) -> list[Any]:
        merged: list[list[tuple[Any, ...]]] = [[] for _ in self.inserts]
        for item in batch:
            for index, rows in item.rows:
                merged[index].extend(rows)
        # The driver's own cursor, in SQLAlchemy's transaction: these statements are plain SQL with driver
        # parameters already, and SQLAlchemy's execution layer around each cost more than the insert.
        driver = conn.connection.driver_connection
        dialect = self.engine.dialect
        cursor = driver.cursor()  # type: ignore[union-attr]
        try:
            for insert, rows in zip(self.inserts, merged, strict=True):
                for sql, parameters in insert.statements(rows):
                    try:
                        cursor.execute(sql, parameters)
                    except dialect.loaded_dbapi.Error as exc:
                        # As SQLAlchemy would raise it, so a dropped connection is seen as one (and retried).
                        raise DBAPIError.instance(
                            sql,
                            parameters,
                            exc,
                            dialect.loaded_dbapi.Error,
                            connection_invalidated=dialect.is_disconnect(exc, driver, cursor),
                            dialect=dialect,
                        ) from exc
        finally:
            cursor.close()
        return [item.work(conn) if item.work is not None else None for item in batch]

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.info("closing the audit writer's connection failed")
            self._conn = None

    def _commit(self, batch: list[_Item]) -> None:
        reused = self._conn is not None
        try:
            if self._conn is None:
                self._conn = self.engine.connect()
            with self._conn.begin():
                results = self._write(self._conn, batch)
        except BaseException as exc:
            self._drop_connection()
            if reused and isinstance(exc, DBAPIError) and exc.connection_invalidated:
                self._commit(batch)  # the kept connection had died (server restart, idle timeout)
                return
            if len(batch) == 1:
                batch[0].finish(error=exc)
                _wake(batch)
                return
            # One request's rows broke the batch: write each alone, so that only that one fails.
            log.info("audit batch failed; writing its records one by one", extra={"records": len(batch)})
            for item in batch:
                self._commit([item])
            return
        for item, result in zip(batch, results, strict=True):
            item.finish(result)
        _wake(batch)
