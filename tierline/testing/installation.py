"""A separate Tierline installation for tests that run real `tierline` processes (worker kill tests):
its own var folder and its own database — a temporary SQLite file, or a fresh PostgreSQL database
next to the one the PostgreSQL pass uses, dropped afterwards — migrated and ready."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def installation(folder: Path, prefix: str = "tierline_inst", **settings: str) -> Iterator[tuple[dict, Callable]]:
    """Yields (env, run): the environment of the installation's processes (with `settings` added),
    and run(*python_args) that runs `python *python_args` there (check=True, output captured)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TIERLINE_DEV="1", TIERLINE_VAR_DIR=str(folder), DJANGO_SETTINGS_MODULE="tierline.settings",
               **settings)
    pg_url = os.environ.get("DATABASE_URL", "")
    dropper = None
    if pg_url.startswith("postgres"):
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        admin = pg_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = pg_url.rsplit("/", 1)[0] + "/" + name

        def dropper():
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        env["TIERLINE_SQLITE_PATH"] = str(folder / "t.sqlite3")

    def run(*args, **kw):
        return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=300,
                              check=True, **kw)

    try:
        run("-m", "tierline.cli", "migrate", "-v0")
        yield env, run
    finally:
        if dropper:
            dropper()
