"""SQLite whose writers hand the write lock over at once.

SQLite lets one writer in at a time and makes the others poll on a back-off schedule (1, 2, 5,
10, 15, 20, 25 … ms). With two web processes each writing for a few milliseconds per request,
the waiting one sleeps past the moment the lock frees, and both cores sit idle (measured: 27 %
idle during the API create benchmark). Here every transaction first takes an exclusive lock on
a file beside the database, polled every fraction of a millisecond, and only then BEGIN
IMMEDIATE: the next writer starts as soon as the previous one commits. A write outside any
transaction (the rate limiter's one-statement upsert, the access log) takes the same lock for
its statement. Same single-writer semantics, same timeout and error ("database is locked") as
SQLite's own wait. In-memory databases (the test runner's) are private to one process and skip it.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager

from django.db import OperationalError
from django.db.backends.sqlite3 import base

FIRST_POLL_S = 0.0002
MAX_POLL_S = 0.002


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteLockingCursor(base.SQLiteCursorWrapper):
    db_wrapper: DatabaseWrapper

    def _alone(self, query: str) -> bool:
        """A write statement in autocommit mode: its own transaction, so it needs the lock."""
        return (self.db_wrapper._write_lock_fd is None and not self.connection.in_transaction
                and query.lstrip()[:7].upper().startswith(WRITES))

    def execute(self, query, params=None):
        if not self._alone(query):
            return super().execute(query, params)
        with self.db_wrapper.write_locked():
            return super().execute(query, params)

    def executemany(self, query, param_list):
        if not self._alone(query):
            return super().executemany(query, param_list)
        with self.db_wrapper.write_locked():
            return super().executemany(query, param_list)


class DatabaseWrapper(base.DatabaseWrapper):
    _write_lock_fd: int | None = None

    def create_cursor(self, name=None):
        if self.is_in_memory_db():  # one process only: nothing to hand over
            return super().create_cursor(name)
        cursor = self.connection.cursor(factory=WriteLockingCursor)
        cursor.db_wrapper = self
        return cursor

    @contextmanager
    def write_locked(self):
        self._take_write_lock()
        try:
            yield
        finally:
            self._release_write_lock()

    def _lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}-writer.lock"

    def _take_write_lock(self) -> None:
        path = self._lock_path()
        if path is None or self._write_lock_fd is not None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        pause = FIRST_POLL_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, MAX_POLL_S)
        self._write_lock_fd = fd

    def _release_write_lock(self) -> None:
        fd, self._write_lock_fd = self._write_lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops its lock

    def _start_transaction_under_autocommit(self):
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
