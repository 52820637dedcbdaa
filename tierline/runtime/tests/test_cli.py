"""The `tierline` command as an operator runs it: real processes, a real server, a temp database."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def instance(tmp_path):
    """Environment for a throw-away installation on SQLite (never the developer's database)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(TIERLINE_DEV="1", TIERLINE_VAR_DIR=str(tmp_path), TIERLINE_SQLITE_PATH=str(tmp_path / "t.sqlite3"))

    def tierline(*args, check=True, **kw):
        return subprocess.run([sys.executable, "-m", "tierline.cli", *args], env=env, capture_output=True,
                              text=True, check=check, timeout=120, **kw)

    tierline("migrate", "-v0")
    return env, tierline


def test_createuser_refuses_bad_input_readably(instance):
    _, tierline = instance
    assert "created ann" in tierline("createuser", "ann", "--password", "a-long-passphrase-9").stdout
    again = tierline("createuser", "ann", "--password", "a-long-passphrase-9", check=False)
    assert again.returncode != 0 and "already exists" in again.stderr
    weak = tierline("createuser", "bob", "--password", "123", check=False)
    assert weak.returncode != 0 and "password refused" in weak.stderr
    tenant = tierline("createuser", "cy", "--password", "a-long-passphrase-9", "--tenant", "NOPE", "--role", "agent",
                      check=False)
    assert tenant.returncode != 0 and "no tenant with code 'NOPE'" in tenant.stderr
    assert "Traceback" not in weak.stderr + tenant.stderr + again.stderr


def test_worker_once_reports_its_pass(instance):
    _, tierline = instance
    assert tierline("worker", "--once").stdout.strip() == (
        "{'sla_ticked': 0, 'sla_failed': 0, 'client_requests_overdue': 0, 'client_requests_parked': 0, "
        "'reports_sent': 0, 'reports_parked': 0, 'sent': 0, 'retry': 0, 'failed': 0, 'anonymised': 0, "
        "'retention_parked': 0, 'rollup_events': 0, 'rollup_parked': 0, 'jobs_failed': 0}")


def test_status_reports_lag_and_backlog(instance):
    import json as _json

    _, tierline = instance
    data = _json.loads(tierline("status", "--json").stdout)
    assert data["sla_lag_seconds"] == 0 and data["outbox_pending"] == 0 and data["sla_due"] == 0


def test_run_serves_ui_and_api_and_stops_cleanly(instance):
    env, _ = instance
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tierline.cli", "run", "--bind", f"127.0.0.1:{port}",
                             "--workers", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                login = urllib.request.urlopen(f"{base}/login/", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("server did not come up: " + (proc.stdout.read().decode()
                                                                      if proc.poll() is not None else ""))
                time.sleep(0.3)
        assert login.status == 200 and b"Tierline" in login.read()
        schema = json.load(urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=5))
        assert schema["info"]["title"] == "Tierline API"
        css = urllib.request.urlopen(f"{base}/static/tierline/tierline.css", timeout=5)
        assert css.status == 200
        try:
            urllib.request.urlopen(f"{base}/api/v1/escalations", timeout=5)
            raise AssertionError("an anonymous API call must be refused")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401 and json.load(exc)["error"]["code"] == "unauthenticated"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0, output
    assert "worker started" in output and "worker stopped" in output
    assert Path(env["TIERLINE_SQLITE_PATH"]).exists()


def test_audit_verify_reports_intact_and_broken_chains(instance):
    import sqlite3

    env, tierline = instance
    tierline("demo", "--escalations", "15", "--customers", "10")
    out = tierline("audit", "verify").stdout
    assert "ACME:" in out and "chain intact" in out and "BROKEN" not in out
    with sqlite3.connect(env["TIERLINE_SQLITE_PATH"]) as db:
        db.execute("UPDATE audit_event SET data = '{\"body\": \"rewritten\"}' WHERE id = "
                   "(SELECT min(id) FROM audit_event WHERE tenant_id = (SELECT id FROM tenancy_tenant "
                   "WHERE code = 'GLOBEX'))")
    broken = tierline("audit", "verify", check=False)
    assert broken.returncode != 0
    assert "GLOBEX: BROKEN at event #1: modified" in broken.stdout and "ACME:" in broken.stdout
    assert "failed verification" in broken.stderr
    missing = tierline("audit", "verify", "--tenant", "NOPE", check=False)
    assert missing.returncode != 0 and "no tenant with code 'NOPE'" in missing.stderr


def test_devrun_names_the_bound_address_keeps_mail_local_and_is_quiet_when_idle(instance, tmp_path):
    env, tierline = instance
    tierline("demo", "--escalations", "15", "--customers", "10")  # devrun then finds the demo loaded
    port = _free_port()
    log = tmp_path / "console.log"
    env = {**env, "TIERLINE_BIND": f"127.0.0.1:{port}", "TIERLINE_WORKER_POLL_SECONDS": "0.1"}
    env.pop("EMAIL_HOST", None)
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tierline.cli", "devrun"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
                time.sleep(0.3)
        for _ in range(3):
            urllib.request.urlopen(f"{base}/login/", timeout=5)
        # A customer email queued now (the demo's history queues none: it is past), delivered by
        # devrun's worker to the local mailbox, never to a mail server on localhost:25.
        tierline("shell", "-c", "from django.utils import timezone as tz; "
                 "from tierline.notifications.models import OutboxMessage as M; "
                 "from tierline.tenancy.models import Tenant; "
                 "M.objects.create(tenant=Tenant.objects.first(), channel='email', idempotency_key='devrun-mail', "
                 "recipient_address='customer@example.com', subject='Your escalation', body='We are on it.', "
                 "next_attempt_at=tz.now(), created_at=tz.now())")
        deadline = time.monotonic() + 30
        while not any((tmp_path / "mail" / "new").glob("*")):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        time.sleep(2)  # the worker catches up …
        quiet_from = len(log.read_text().splitlines())
        time.sleep(2)  # … then some twenty idle passes
        idle = log.read_text().splitlines()[quiet_from:]
    finally:
        proc.terminate()
        proc.wait(30)
    text = log.read_text()
    assert f"Tierline is starting at http://127.0.0.1:{port}" in text and ":8000" not in text
    assert f"{base}/dev/mailbox/" in text
    assert sum('"GET /login/ ' in line for line in text.splitlines()) == 3  # one line per request
    assert idle == [], idle
    status = json.loads(tierline("status", "--json").stdout)
    assert status["outbox_failed"] == 0 and status["ready"] is True
