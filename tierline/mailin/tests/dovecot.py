"""A real IMAP server for the tests: Debian's dovecot, started in a temporary directory.

It runs with its own configuration only (nothing from /etc/dovecot), listens on 127.0.0.1 on a
free port, without TLS, with one passwd-file user whose Maildir lives in the temp dir. Missing
dovecot is a skip with the reason (a failure under TIERLINE_REQUIRE_SERVICES=1, as in CI).
"""

from __future__ import annotations

import contextlib
import getpass
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tierline.testing.services import missing

DOVECOT = "/usr/sbin/dovecot"


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(root: Path, port: int, users: Path) -> str:
    lines = [
        f"base_dir = {root}/run", f"state_dir = {root}/state", f"log_path = {root}/dovecot.log",
        "instance_name = tierline-test", "listen = 127.0.0.1", "protocols = imap", "ssl = no",
        "disable_plaintext_auth = no", "auth_mechanisms = plain login", "first_valid_uid = 1",
        f"mail_location = maildir:{root}/mail/%u",
        f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {users}\n}}",
        f"userdb {{\n  driver = passwd-file\n  args = {users}\n}}",
        # No chroot: an unprivileged user cannot chroot, and the test needs no jail.
        "service imap-login {\n  chroot =\n  inet_listener imap {\n    address = 127.0.0.1\n"
        f"    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}",
        "service anvil {\n  chroot =\n}",
    ]
    if os.getuid() != 0:
        # Started by an ordinary user, dovecot must run every process as that user.
        me, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
        lines += [f"default_login_user = {me}", f"default_internal_user = {me}", f"default_internal_group = {group}"]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def running(user: str = "intake", password: str = "intake-secret"):
    if not os.path.exists(DOVECOT):
        missing(f"no dovecot at {DOVECOT} (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="tierline-dovecot-"))
    process = None
    try:
        # dovecot's auth and mail processes run as other users when started by root: they must
        # be able to read the user file and write the Maildir. Mail as root is refused, so root
        # delivers into a Maildir owned by "nobody".
        root.chmod(0o755)
        uid, gid = (os.getuid(), os.getgid()) if os.getuid() != 0 else pwd.getpwnam("nobody")[2:4]
        (root / "mail").mkdir()
        os.chown(root / "mail", uid, gid)
        users = root / "users"
        users.write_text(f"{user}:{{PLAIN}}{password}:{uid}:{gid}::{root}/mail/{user}\n")
        users.chmod(0o644)
        port = _free_port()
        conf = root / "dovecot.conf"
        conf.write_text(_config(root, port, users))
        process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(64).startswith(b"* OK"):
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                output = process.stdout.read().decode(errors="replace") if process.poll() is not None else ""
                # A broken install is a missing service, not an intake bug.
                missing(f"dovecot does not start: {output or log or 'no output'}"[:2000])
            time.sleep(0.1)
        yield Server("127.0.0.1", port, user, password, root / "dovecot.log")
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout:
            process.stdout.close()
        shutil.rmtree(root, ignore_errors=True)
