"""Scheduled reports: the period and send time in the recipient's zone, once per period, and the
email with the file arriving at a real SMTP server."""

import datetime as dt
import email
import io
import socket
import zoneinfo

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from tierline.core.errors import InvalidInput
from tierline.notifications.delivery import deliver_due
from tierline.notifications.models import OutboxMessage
from tierline.reports import schedule_math, schedules
from tierline.reports.tests.history import build

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
NY = zoneinfo.ZoneInfo("America/New_York")


def test_weekly_runs_monday_0700_local_for_the_week_before():
    after = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)  # a Wednesday
    run = schedule_math.next_run(after, "weekly", TOKYO)
    assert run.astimezone(TOKYO) == dt.datetime(2026, 3, 9, 7, tzinfo=TOKYO)
    start, end = schedule_math.period_for_run(run, "weekly", TOKYO)
    assert (start, end) == (dt.datetime(2026, 3, 2, tzinfo=TOKYO), dt.datetime(2026, 3, 9, tzinfo=TOKYO))


def test_monthly_across_dst_in_new_york():
    after = dt.datetime(2026, 3, 1, 13, tzinfo=dt.UTC)  # 08:00 EST on the 1st: this month's run has passed
    run = schedule_math.next_run(after, "monthly", NY)
    assert run.astimezone(NY) == dt.datetime(2026, 4, 1, 7, tzinfo=NY)
    assert run == dt.datetime(2026, 4, 1, 11, tzinfo=dt.UTC)  # EDT by then
    assert schedule_math.period_for_run(run, "monthly", NY) == (dt.datetime(2026, 3, 1, tzinfo=NY),
                                                                dt.datetime(2026, 4, 1, tzinfo=NY))


@given(st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 1, 1)),
       st.sampled_from(["weekly", "monthly"]), st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York",
                                                                "Australia/Lord_Howe"]))
def test_runs_strictly_advance_and_periods_tile(naive, frequency, zone_name):
    zone = zoneinfo.ZoneInfo(zone_name)
    after = naive.replace(tzinfo=dt.UTC)
    first = schedule_math.next_run(after, frequency, zone)
    second = schedule_math.next_run(first, frequency, zone)
    assert after < first < second
    p1, p2 = schedule_math.period_for_run(first, frequency, zone), schedule_math.period_for_run(second, frequency, zone)
    assert p1[1] == p2[0] and p1[0] < p1[1] <= first


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def _attachment(raw: bytes):
    msg = email.message_from_bytes(raw)
    for part in msg.walk():
        if part.get_filename():
            return msg, part.get_filename(), part.get_payload(decode=True)
    return msg, None, None


@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
def test_scheduled_report_arrives_once_by_real_smtp(world, settings, fmt):
    build(world)
    manager = world.users["manager"]
    manager.email = "manager@acme.example"
    manager.save()
    created = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)
    schedule = schedules.create_schedule(tenant=world.tenant, recipient=manager, frequency="weekly", format=fmt,
                                         time_zone="UTC", now=created)
    assert schedule.next_run_at == dt.datetime(2026, 3, 9, 7, tzinfo=dt.UTC)
    assert schedules.run_due(schedule.next_run_at - dt.timedelta(seconds=1)) == {"reports_sent": 0, "reports_parked": 0}
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        run = dt.datetime(2026, 3, 9, 7, 0, 5, tzinfo=dt.UTC)
        assert schedules.run_due(run) == {"reports_sent": 1, "reports_parked": 0}
        # A restarted worker (or a second one) at the same moment finds nothing owed.
        assert schedules.run_due(run) == {"reports_sent": 0, "reports_parked": 0}
        # Even a schedule wound back by a crash before its row was saved repeats no email.
        type(schedule).objects.filter(pk=schedule.pk).update(next_run_at=dt.datetime(2026, 3, 9, 7, tzinfo=dt.UTC))
        assert schedules.run_due(run) == {"reports_sent": 0, "reports_parked": 0}
        deliver_due(run)
    finally:
        controller.stop()
    mine = [m for m in inbox.messages if b"manager@acme.example" in m]  # the history also mailed customers
    assert len(mine) == 1
    msg, filename, content = _attachment(mine[0])
    assert msg["To"] == "manager@acme.example" and "2026-03-02 to 2026-03-08" in msg["Subject"]
    assert filename == f"ACME-weekly-20260302.{fmt}"
    if fmt == "pdf":
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
        assert "Escalations created" in text and "20.00 EUR" in text
    else:
        figures = {r[0]: r[1] for r in load_workbook(io.BytesIO(content))["Figures"].iter_rows(min_row=3,
                                                                                               values_only=True)}
        assert figures["Escalations created"] == "3"
    schedule.refresh_from_db()
    assert schedule.next_run_at == dt.datetime(2026, 3, 16, 7, tzinfo=dt.UTC)
    assert OutboxMessage.objects.filter(idempotency_key__startswith=f"report:{schedule.pk}:").count() == 1


def test_schedule_refuses_a_recipient_without_reports_and_a_bad_zone(world):
    with pytest.raises(InvalidInput):
        schedules.create_schedule(tenant=world.tenant, recipient=world.users["agent"], frequency="weekly",
                                  now=world.now)
    with pytest.raises(InvalidInput):
        schedules.create_schedule(tenant=world.tenant, recipient=world.other_user, frequency="weekly",
                                  now=world.now)
    with pytest.raises(InvalidInput):
        schedules.create_schedule(tenant=world.tenant, recipient=world.users["manager"], frequency="weekly",
                                  time_zone="Mars/Olympus", now=world.now)


def test_recipient_who_lost_access_gets_nothing_and_the_schedule_moves_on(world):
    from tierline.tenancy.models import Membership

    manager = world.users["manager"]
    manager.email = "m@acme.example"
    manager.save()
    s = schedules.create_schedule(tenant=world.tenant, recipient=manager, frequency="monthly", now=world.now)
    Membership.objects.filter(user=manager, tenant=world.tenant).update(role="agent")
    assert schedules.run_due(s.next_run_at) == {"reports_sent": 0, "reports_parked": 0}
    s.refresh_from_db()
    assert s.next_run_at > world.now + dt.timedelta(days=31)
