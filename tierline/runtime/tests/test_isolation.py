"""One bad schedule, tenant or job costs its own work only: the rest of a worker pass still
delivers, and `tierline status`, /readyz and the supervisor dashboard say what was set aside."""

import datetime as dt
import json
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from tierline import actions
from tierline.accounts.models import ApiToken
from tierline.notifications.models import Notification, OutboxMessage
from tierline.reports import schedules
from tierline.reports.models import ReportSchedule
from tierline.runtime.models import JobState, ParkedItem
from tierline.runtime.worker import run_once
from tierline.tenancy.models import Membership


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode(errors="replace"))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    yield inbox
    controller.stop()


def _status(capsys) -> dict:
    with pytest.raises(SystemExit) as exit_:
        call_command("status", "--json")
    assert exit_.value.code == 1  # not ready: a monitor running it is told
    return json.loads(capsys.readouterr().out)


def test_poisoned_schedule_is_parked_and_the_pass_still_delivers(world, smtp, client, capsys):
    manager = world.users["manager"]
    manager.email = "manager@acme.example"
    manager.save()
    now = world.now
    poisoned = schedules.create_schedule(tenant=world.tenant, recipient=manager, frequency="weekly",
                                         time_zone="UTC", now=now - dt.timedelta(days=8))
    healthy = schedules.create_schedule(tenant=world.tenant, recipient=manager, frequency="monthly", format="xlsx",
                                        time_zone="UTC", now=now - dt.timedelta(days=40))
    # Planted behind validation's back, as an old row or a hand-edited database would be.
    ReportSchedule.objects.filter(pk=poisoned.pk).update(time_zone="Mars/Base",
                                                         next_run_at=now - dt.timedelta(hours=2))
    ReportSchedule.objects.filter(pk=healthy.pk).update(next_run_at=now - dt.timedelta(hours=1))
    esc = world.escalation(owner=world.users["agent"])
    actions.escalate(esc, actor=world.actor("supervisor"), now=now, reason="needs L2", trigger="hierarchical")
    OutboxMessage.objects.create(tenant=world.tenant, channel="email", idempotency_key="cust-1",
                                 recipient_address="dana@example.com", subject="Your escalation",
                                 body="We are on it.", next_attempt_at=now, created_at=now)

    stats = run_once(now + dt.timedelta(seconds=1))

    assert stats["jobs_failed"] == 0 and stats["reports_parked"] == 1 and stats["reports_sent"] == 1
    assert any("We are on it." in m for m in smtp.messages)  # delivered after the poisoned schedule
    assert any("manager@acme.example" in m and "monthly escalation report" in m for m in smtp.messages)
    assert any("escalated to Technical support L2" in n.text
               for n in Notification.objects.filter(user=world.users["agent"]))
    parked = ParkedItem.objects.get(kind="report_schedule", object_id=poisoned.pk)
    assert "Mars/Base" in parked.error and parked.tenant_ref == world.tenant.pk

    data = _status(capsys)
    assert data["ready"] is False and data["parked_total"] == 1
    assert data["parked"][0]["job"] == "report_schedules" and "Mars/Base" in data["parked"][0]["error"]
    with pytest.raises(SystemExit):
        call_command("status")
    text = capsys.readouterr().out
    assert "report_schedules: report_schedule" in text and "unknown time zone 'Mars/Base'" in text

    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "failing" and body["parked"][0]["kind"] == "report_schedule"
    assert "Mars/Base" in body["parked"][0]["error"]
    assert client.get("/healthz").status_code == 200

    client.force_login(world.users["supervisor"])
    page = client.get(f"/reports/{world.tenant.code}/supervisor/").content.decode()
    assert 'id="worker-warning"' in page and "Mars/Base" in page
    # The other client's supervisor hears nothing of ACME's schedule.
    client.force_login(world.other_user)
    other = client.get(f"/reports/{world.other_tenant.code}/supervisor/").content.decode()
    assert "Mars/Base" not in other and 'id="worker-warning"' not in other

    # Left out until its retry time: the next passes do not trip over it again.
    assert run_once(now + dt.timedelta(seconds=2))["reports_parked"] == 0
    # Mended, it runs at its retry time and is no longer parked.
    ReportSchedule.objects.filter(pk=poisoned.pk).update(time_zone="UTC")
    assert run_once(parked.retry_at + dt.timedelta(seconds=1))["reports_sent"] == 1
    assert not ParkedItem.objects.exists()
    assert client.get("/readyz").status_code == 200


def test_a_job_that_fails_its_last_runs_makes_readyz_fail_and_others_still_run(world, client, monkeypatch):
    from tierline.runtime import worker

    def broken(now, batch=None):  # fault injection: whatever makes the job raise as a whole
        raise RuntimeError("rollup table locked by a migration")

    monkeypatch.setattr(worker, "update_all", broken)  # the name the worker's job table calls
    world.escalation(owner=world.users["agent"])  # an outbox message for the delivery job
    for second in range(3):
        stats = run_once(world.now + dt.timedelta(seconds=second))
        assert stats["jobs_failed"] == 1
        if second == 0:
            assert stats["sent"] >= 1  # delivered although the rollup job raised in the same pass
    state = JobState.objects.get(name="rollup")
    assert state.consecutive_failures == 3 and "rollup table locked" in state.last_error
    ready = client.get("/readyz")
    assert ready.status_code == 503 and [j["job"] for j in ready.json()["failing_jobs"]] == ["rollup"]
    client.force_login(world.users["supervisor"])
    page = client.get(f"/reports/{world.tenant.code}/supervisor/").content.decode()
    assert 'data-job="rollup"' in page and "rollup table locked" not in page  # details are for staff
    monkeypatch.undo()
    run_once(world.now + dt.timedelta(seconds=5))
    assert client.get("/readyz").status_code == 200


def test_a_failing_rollup_tenant_is_parked_and_the_others_are_folded(world):
    from tierline.audit.event_types import EventType
    from tierline.audit.models import Event
    from tierline.reports.models import RollupCursor

    world.escalation()
    world.other_escalation()
    # A damaged event row (its data no longer an object): ACME's fold raises, GLOBEX's must not wait.
    with connection.cursor() as cursor:  # past the append-only guard, as a hand edit would be
        if connection.vendor == "postgresql":  # its trigger refuses UPDATE; a superuser's repair skips it
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"UPDATE {Event._meta.db_table} SET data = '[1]' WHERE tenant_id = %s AND type = %s",
                       [world.tenant.pk, EventType.CREATED.value])
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")
    stats = run_once(world.now)
    assert stats["jobs_failed"] == 0 and stats["rollup_parked"] == 1
    assert RollupCursor.objects.get(tenant=world.other_tenant).last_seq > 0
    assert not RollupCursor.objects.filter(tenant=world.tenant, last_seq__gt=0).exists()
    item = ParkedItem.objects.get(kind="rollup_tenant")
    assert item.object_id == world.tenant.pk and "AttributeError" in item.error
    assert run_once(world.now + dt.timedelta(seconds=1))["rollup_parked"] == 0  # left out until its retry


def test_schedule_with_a_bad_zone_or_another_clients_recipient_is_refused_when_saved(world):
    manager = world.users["manager"]
    bad_zone = ReportSchedule(tenant=world.tenant, recipient=manager, frequency="weekly", time_zone="Mars/Base",
                              next_run_at=world.now)
    with pytest.raises(ValidationError) as err:
        bad_zone.full_clean()
    assert "time_zone" in err.value.message_dict
    foreign = ReportSchedule(tenant=world.tenant, recipient=world.other_user, frequency="weekly", time_zone="UTC",
                             next_run_at=world.now)
    with pytest.raises(ValidationError) as err:
        foreign.full_clean()
    assert err.value.message_dict["recipient"] == ["not a user of this client"]


def test_admin_form_refuses_a_bad_zone_and_a_foreign_recipient(world, client):
    from tierline.accounts.models import User

    admin = User.objects.create_superuser("root", "root@example.com", "a-long-passphrase-9")
    client.force_login(admin)
    form = {"tenant": world.tenant.pk, "recipient": world.other_user.pk, "frequency": "weekly", "format": "pdf",
            "time_zone": "Mars/Base", "is_active": "on", "next_run_at_0": "2026-03-09", "next_run_at_1": "07:00:00"}
    page = client.post("/admin/reports/reportschedule/add/", form)
    assert page.status_code == 200 and not ReportSchedule.objects.exists()
    text = page.content.decode()
    assert "unknown time zone" in text and "not a user of this client" in text


def test_api_refuses_a_bad_zone_and_another_clients_user(world, client):
    token = world.token("admin")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/reports/tenants/{world.tenant.code}/schedules"
    bad = client.post(url, {"recipient": "manager", "frequency": "weekly", "time_zone": "Mars/Base"},
                      content_type="application/json", **auth)
    assert bad.status_code == 422 and "time_zone" in bad.json()["error"]["fields"]
    foreign = client.post(url, {"recipient": world.other_user.username, "frequency": "weekly"},
                          content_type="application/json", **auth)
    assert foreign.status_code == 422 and foreign.json()["error"]["fields"] == {
        "recipient": "not a user of this client"}
    ok = client.post(url, {"recipient": "manager", "frequency": "weekly", "time_zone": "Europe/Paris"},
                     content_type="application/json", **auth)
    assert ok.status_code == 201 and ok.json()["time_zone"] == "Europe/Paris"
    listed = client.get(url, **auth).json()
    assert [s["recipient"] for s in listed] == ["manager"] and listed[0]["error"] is None
    # The other client's admin cannot list or add ACME's schedules.
    Membership.objects.filter(user=world.other_user).update(role="admin")
    _, plain = ApiToken.issue(world.other_user, name="t", now=world.now, scope="write")
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 404
