"""Calendar and SLA policy screens: plain units in, the stored spec out, the due-at preview, the
simulator in hours and minutes, and the re-time of open escalations after an edit."""

import datetime as dt

from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.sla.models import Calendar, SlaPolicy

WEEK = {"hours_mon": "09:00-12:30, 13:30-18:00", "hours_tue": "09:00-17:00", "hours_wed": "09:00-17:00",
        "hours_thu": "09:00-17:00", "hours_fri": "09:00-17:00", "hours_sat": "", "hours_sun": ""}


def _calendar(client, **extra):
    data = {"name": "London office", "timezone": "Europe/London", "holiday_country": "GB",
            "holiday_subdivision": "ENG", "closed": "2026-12-24\n2026-12-31", **WEEK, **extra}
    return client.post("/config/ACME/calendars/new/", data)


def test_a_calendar_is_built_from_the_week_grid(client, world):
    client.force_login(world.users["admin"])
    r = _calendar(client)
    cal = Calendar.objects.get(tenant=world.tenant)
    assert r["Location"] == f"/config/ACME/calendars/{cal.pk}/"
    assert cal.spec["hours"]["mon"] == [["09:00", "12:30"], ["13:30", "18:00"]] and cal.spec["hours"]["sat"] == []
    assert cal.spec["holidays"] == {"country": "GB", "subdivision": "ENG"}
    assert cal.spec["closed"] == ["2026-12-24", "2026-12-31"] and cal.spec["timezone"] == "Europe/London"
    page = client.get(r["Location"]).content.decode()
    assert 'value="09:00-12:30, 13:30-18:00"' in page


def test_bad_calendar_input_is_a_form_error(client, world):
    client.force_login(world.users["admin"])
    for extra, message in (({"timezone": "Mars/Olympus"}, "Mars/Olympus is not one of the available choices"),
                           ({"hours_mon": "9 to 5"}, "is not a shift like 09:00-17:30"),
                           ({"hours_tue": "09:00-12:00, 11:00-13:00"}, "hours.tue"),
                           ({"holiday_subdivision": "XX"}, "is not a subdivision of GB"),
                           ({"closed": "24/12/2026"}, "is not a date")):
        r = _calendar(client, **extra)
        assert r.status_code == 422 and message in r.content.decode(), (extra, r.content.decode()[-3000:])
    assert not Calendar.objects.exists()


def test_due_at_preview_counts_business_time_only(client, world):
    client.force_login(world.users["admin"])
    # Friday 2026-12-18 16:00 + 3 business hours: 1 h on Friday, then Monday 21st 09:00-11:00.
    data = {"name": "", "timezone": "Europe/London", "holiday_country": "GB", "holiday_subdivision": "ENG",
            "closed": "", **WEEK, "start": "2026-12-18T16:00", "hours": "3", "minutes": "0"}
    html = client.post("/config/ACME/calendars/preview/", data, HTTP_HX_REQUEST="true").content.decode()
    assert "due <strong data-due>Mon 21 Dec 2026 11:00</strong> (Europe/London)" in html
    # Christmas Day and Boxing Day (observed Monday 28th) are holidays in England.
    data.update(start="2026-12-24T16:00", closed="2026-12-24")
    html = client.post("/config/ACME/calendars/preview/", data).content.decode()
    assert "due <strong data-due>Tue 29 Dec 2026 12:00</strong>" in html
    bad = client.post("/config/ACME/calendars/preview/", {**data, "hours_wed": "25:00-26:00"}).content.decode()
    assert "data-due-error" in bad


def _policy(client, cal, **extra):
    data = {"name": "Standard", "rank": "100", "is_active": "on", "calendar": cal.pk, "priority": "", "type": "",
            "customer_tier": "", "first_response_h": "1", "first_response_m": "30", "update_cadence_h": "4",
            "resolution_h": "8", "warnings_text": "75, 90", "pause_statuses": ["pending_customer"], "steps": "2",
            "s0-target": "resolution", "s0-offset": "-60", "s0-action": "notify", "s0-whom": "supervisor_chain",
            "s1-target": "resolution", "s1-offset": "0", "s1-action": "escalate_level", **extra}
    return client.post("/config/ACME/policies/new/", data)


def test_a_policy_is_set_in_hours_and_minutes_and_simulated(client, world):
    client.force_login(world.users["admin"])
    _calendar(client)
    cal = Calendar.objects.get()
    r = _policy(client, cal)
    policy = SlaPolicy.objects.get()
    assert r["Location"] == f"/config/ACME/policies/{policy.pk}/"
    assert policy.first_response == dt.timedelta(minutes=90) and policy.resolution == dt.timedelta(hours=8)
    assert policy.warnings == [75, 90] and policy.steps == [
        {"target": "resolution", "offset": -3600, "action": "notify", "whom": "supervisor_chain"},
        {"target": "resolution", "offset": 0, "action": "escalate_level"}]
    page = client.get(r["Location"]).content.decode()
    assert 'id="policy-schedule"' in page and "8 h 00 min" in page and "1 h 30 min" in page
    assert "step 0: notify" in page and "step 1: escalate level" in page


def test_policy_errors_are_form_errors(client, world):
    client.force_login(world.users["admin"])
    _calendar(client)
    cal = Calendar.objects.get()
    none = _policy(client, cal, first_response_h="", first_response_m="", update_cadence_h="", resolution_h="")
    assert none.status_code == 422 and "set at least one target" in none.content.decode()
    bad_warning = _policy(client, cal, warnings_text="150")
    assert bad_warning.status_code == 422 and "not a percentage" in bad_warning.content.decode()
    other_team = _policy(client, cal, **{"s1-action": "escalate_team", "s1-team": str(world.other_team.pk)})
    assert other_team.status_code == 422 and "choose the team" in other_team.content.decode()
    assert not SlaPolicy.objects.exists()


def test_open_escalations_are_retimed_on_request(client, world):
    client.force_login(world.users["admin"])
    _calendar(client)
    cal = Calendar.objects.get()
    _policy(client, cal)
    policy = SlaPolicy.objects.get()
    esc = world.escalation()
    assert esc.sla_policy_id == policy.pk
    page = client.get(f"/config/ACME/policies/{policy.pk}/").content.decode()
    assert "1 open escalation runs on this policy" in page
    client.post(f"/config/ACME/policies/{policy.pk}/", {
        **{k: v for k, v in {"name": "Standard", "rank": "100", "is_active": "on", "calendar": cal.pk,
                             "resolution_h": "4", "warnings_text": "", "steps": "0"}.items()}})
    assert SlaPolicy.objects.get().resolution == dt.timedelta(hours=4)
    before = Event.objects.filter(escalation=esc, type=EventType.SLA_POLICY_APPLIED).count()
    r = client.post(f"/config/ACME/policies/{policy.pk}/retime/", follow=True)
    assert "Re-timed 1 open escalation" in r.content.decode()
    assert Event.objects.filter(escalation=esc, type=EventType.SLA_POLICY_APPLIED).count() == before + 1
    r = client.post(f"/config/ACME/calendars/{cal.pk}/retime/", follow=True)
    assert "Re-timed 1 open escalation" in r.content.decode()


def test_another_tenants_calendar_or_policy_is_not_found(client, world):
    other = Calendar.objects.create(tenant=world.other_tenant, name="Theirs",
                                    spec={"timezone": "UTC", "always_open": True})
    theirs = SlaPolicy.objects.create(tenant=world.other_tenant, name="Theirs", calendar=other,
                                      resolution=dt.timedelta(hours=1))
    client.force_login(world.users["admin"])
    assert client.get(f"/config/ACME/calendars/{other.pk}/").status_code == 404
    assert client.post(f"/config/ACME/calendars/{other.pk}/", {"name": "Mine", **WEEK}).status_code == 404
    assert client.get(f"/config/ACME/policies/{theirs.pk}/").status_code == 404
    assert client.post(f"/config/ACME/policies/{theirs.pk}/retime/").status_code == 404
    _calendar(client)
    mine = Calendar.objects.get(tenant=world.tenant)
    r = _policy(client, mine, calendar=other.pk)
    assert r.status_code == 422 and not SlaPolicy.objects.filter(tenant=world.tenant).exists()
    assert Calendar.objects.get(pk=other.pk).name == "Theirs"
    client.force_login(world.users["supervisor"])
    assert client.get(f"/config/ACME/calendars/{mine.pk}/").status_code == 403
    assert client.post("/config/ACME/calendars/new/", {"name": "Sneaky", **WEEK}).status_code == 403
