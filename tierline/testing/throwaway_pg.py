"""A throw-away PostgreSQL cluster for fault tests: initdb into a temporary folder, its own
port, started and stopped with pg_ctl. The machine's shared server is never touched."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, bin_dir: Path):
        # Its own folder straight under the temp dir: the postgres user must be able to reach it
        # (pytest's per-user tmp_path is private to root).
        self.bin, self.root = bin_dir, Path(tempfile.mkdtemp(prefix="tierline-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.log = self.root / "postgres.log"
        # initdb refuses to run as root: run the cluster as the postgres system user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}")

    def init(self) -> Cluster:
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        return self

    def ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w",
                  "-t", "60", action, *extra)

    def start(self) -> None:
        self.ctl("start")

    def restart(self) -> None:
        self.ctl("restart", "-m", "fast")

    def stop(self) -> None:
        """Stop it and delete its folder."""
        try:
            self.ctl("stop", "-m", "immediate")
        except RuntimeError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
