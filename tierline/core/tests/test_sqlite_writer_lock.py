"""The SQLite backend's writer hand-over: one writer at a time, the next one starts as soon as
the previous commits, and a writer that waits too long gets SQLite's own "database is locked"."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connections, transaction

ALIAS = "writer_lock_test"


@pytest.fixture
def file_db(tmp_path, django_db_blocker):
    # Its own file database (not the test database), opened beside pytest-django's guard.
    django_db_blocker.unblock()
    connections.settings[ALIAS] = {
        "ENGINE": "tierline.core.sqlite_backend", "NAME": str(tmp_path / "w.sqlite3"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0.5, "init_command": "PRAGMA journal_mode=WAL;"},
        "ATOMIC_REQUESTS": False, "AUTOCOMMIT": True, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None, "USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "TEST": {},
    }
    with connections[ALIAS].cursor() as cur:
        cur.execute("CREATE TABLE t (n INTEGER)")
    yield tmp_path / "w.sqlite3"
    connections[ALIAS].close()
    del connections[ALIAS]
    del connections.settings[ALIAS]
    django_db_blocker.restore()


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["value"] = fn()
        except Exception as exc:  # handed back to the test
            out["error"] = exc
        finally:
            connections[ALIAS].close()
            del connections[ALIAS]

    t = threading.Thread(target=run)
    t.start()
    return t, out


def test_second_writer_waits_for_the_first_and_then_sees_its_row(file_db):
    holding = threading.Event()

    def first():
        with transaction.atomic(using=ALIAS):
            connections[ALIAS].cursor().execute("INSERT INTO t VALUES (1)")
            holding.set()
            time.sleep(0.2)
        return time.monotonic()

    def second():
        holding.wait(5)
        with transaction.atomic(using=ALIAS):
            started = time.monotonic()
            cur = connections[ALIAS].cursor()
            cur.execute("SELECT COUNT(*) FROM t")
            seen = cur.fetchone()[0]
            cur.execute("INSERT INTO t VALUES (2)")
        return started, seen

    t1, r1 = _in_thread(first)
    t2, r2 = _in_thread(second)
    t1.join()
    t2.join()
    assert "error" not in r1 and "error" not in r2, (r1, r2)
    started, seen = r2["value"]
    assert started >= r1["value"] - 0.001  # it began only once the first had committed (speed: bench/api.py)
    assert seen == 1
    with connections[ALIAS].cursor() as cur:
        cur.execute("SELECT n FROM t ORDER BY n")
        assert [r[0] for r in cur.fetchall()] == [1, 2]


def test_a_writer_that_waits_past_the_timeout_gets_database_is_locked(file_db):
    holding, release = threading.Event(), threading.Event()

    def first():
        with transaction.atomic(using=ALIAS):
            connections[ALIAS].cursor().execute("INSERT INTO t VALUES (1)")
            holding.set()
            release.wait(5)

    t1, r1 = _in_thread(first)
    holding.wait(5)
    with pytest.raises(OperationalError, match="database is locked"):
        with transaction.atomic(using=ALIAS):
            connections[ALIAS].cursor().execute("INSERT INTO t VALUES (2)")
    release.set()
    t1.join()
    # The refused writer left nothing behind and the lock is free again.
    with transaction.atomic(using=ALIAS):
        connections[ALIAS].cursor().execute("INSERT INTO t VALUES (3)")
    with connections[ALIAS].cursor() as cur:
        cur.execute("SELECT n FROM t ORDER BY n")
        assert [r[0] for r in cur.fetchall()] == [1, 3]


def test_a_rolled_back_transaction_frees_the_lock(file_db):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with transaction.atomic(using=ALIAS):
            connections[ALIAS].cursor().execute("INSERT INTO t VALUES (1)")
            raise Boom

    def other_writer():
        with transaction.atomic(using=ALIAS):
            connections[ALIAS].cursor().execute("INSERT INTO t VALUES (2)")

    t, out = _in_thread(other_writer)  # another connection: it would wait out the timeout if held
    t.join()
    assert "error" not in out, out
    with connections[ALIAS].cursor() as cur:
        cur.execute("SELECT n FROM t")
        assert [r[0] for r in cur.fetchall()] == [2]


def test_every_write_waits_for_the_hand_over_lock_even_outside_a_transaction(file_db):
    """While another process holds the hand-over lock, neither a transaction nor a one-statement
    write outside one gets in (reads do); once it is released, both go through."""
    import fcntl
    import os

    fd = os.open(f"{file_db}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            with transaction.atomic(using=ALIAS):
                connections[ALIAS].cursor().execute("INSERT INTO t VALUES (1)")
        with pytest.raises(OperationalError, match="database is locked"):
            connections[ALIAS].cursor().execute("INSERT INTO t VALUES (2)")
        with connections[ALIAS].cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM t")
            assert cur.fetchone()[0] == 0
    finally:
        os.close(fd)
    connections[ALIAS].cursor().execute("INSERT INTO t VALUES (3)")
    with transaction.atomic(using=ALIAS):
        connections[ALIAS].cursor().execute("INSERT INTO t VALUES (4)")
    with connections[ALIAS].cursor() as cur:
        cur.execute("SELECT n FROM t ORDER BY n")
        assert [r[0] for r in cur.fetchall()] == [3, 4]
