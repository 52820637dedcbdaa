"""Policies as admins configure them, and how the write path freezes them into the log."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tierline import actions
from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.sla.models import Calendar, SlaPolicy

OFFICE = {"timezone": "Europe/London", "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
          "holidays": {"country": "GB", "subdivision": "ENG"}}


@pytest.fixture
def calendar(world):
    return Calendar.objects.create(tenant=world.tenant, name="London office", spec=OFFICE)


def policy(world, calendar, name, **kw):
    kw.setdefault("resolution", dt.timedelta(hours=8))
    p = SlaPolicy(tenant=world.tenant, name=name, calendar=calendar, **kw)
    p.full_clean()
    p.save()
    return p


def applied(esc):
    return [e.data for e in Event.objects.filter(escalation=esc, type=EventType.SLA_POLICY_APPLIED).order_by("seq")]


def test_calendar_validation_names_the_field(world):
    bad = Calendar(tenant=world.tenant, name="bad", spec={"timezone": "Mars/Olympus", "always_open": True})
    with pytest.raises(ValidationError) as info:
        bad.full_clean()
    assert "timezone" in str(info.value.message_dict["spec"])


def test_policy_validation(world, calendar):
    with pytest.raises(ValidationError) as info:
        SlaPolicy(tenant=world.tenant, name="empty", calendar=calendar).full_clean()
    assert "resolution" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        SlaPolicy(tenant=world.tenant, name="x", calendar=calendar, resolution=dt.timedelta(hours=1),
                  pause_statuses=["napping"]).full_clean()
    assert "pause_statuses" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        SlaPolicy(tenant=world.tenant, name="y", calendar=calendar, resolution=dt.timedelta(hours=1),
                  steps=[{"action": "panic"}]).full_clean()
    assert "steps" in info.value.message_dict
    other_cal = Calendar.objects.create(tenant=world.other_tenant, name="Globex", spec=OFFICE)
    with pytest.raises(ValidationError) as info:
        SlaPolicy(tenant=world.tenant, name="z", calendar=other_cal, resolution=dt.timedelta(hours=1)).full_clean()
    assert "calendar" in info.value.message_dict


def test_equal_overlapping_policies_are_refused_at_save(world, calendar):
    policy(world, calendar, "P1 policy", priority="P1")
    with pytest.raises(ValidationError) as info:
        policy(world, calendar, "Billing policy", type="billing")
    assert "P1 policy" in info.value.message_dict["rank"][0]
    policy(world, calendar, "Billing policy", type="billing", rank=50)  # an explicit rank resolves it


def test_create_freezes_the_matching_policy_into_the_log(world, calendar):
    policy(world, calendar, "Default")
    vip = policy(world, calendar, "VIP", customer_tier="vip", resolution=dt.timedelta(hours=2))
    esc = world.escalation(customer=world.vip)
    [data] = applied(esc)
    assert data["reason"] == "created" and data["policy"]["policy_id"] == vip.pk
    assert data["policy"]["targets"] == {"resolution": 7200} and data["policy"]["generation"] == 1
    assert data["policy"]["calendar"] == OFFICE
    esc.refresh_from_db()
    assert esc.sla_policy_id == vip.pk and esc.sla_generation == 1 and esc.version == 1


def test_editing_a_policy_changes_open_escalations_only_by_an_explicit_retime(world, calendar):
    p = policy(world, calendar, "Default")
    esc = world.escalation()
    p.resolution = dt.timedelta(hours=4)
    p.save()
    actions.add_internal_note(esc, "unrelated", actor=world.actor(), now=world.now)
    assert [d["policy"]["targets"]["resolution"] for d in applied(esc)] == [8 * 3600]
    esc = actions.retime_sla(esc, actor=world.actor("admin"), now=world.now, reason="contract amendment")
    assert [d["policy"]["targets"]["resolution"] for d in applied(esc)] == [8 * 3600, 4 * 3600]
    assert applied(esc)[-1]["policy"]["generation"] == 2 and esc.sla_generation == 2


def test_retime_needs_the_configure_permission(world, calendar):
    from tierline.core.errors import PermissionDenied

    policy(world, calendar, "Default")
    esc = world.escalation()
    with pytest.raises(PermissionDenied):
        actions.retime_sla(esc, actor=world.actor("supervisor"), now=world.now, reason="x")


def test_priority_change_selects_the_new_priority_policy(world, calendar):
    policy(world, calendar, "Default")
    p1 = policy(world, calendar, "P1", priority="P1", resolution=dt.timedelta(hours=1))
    esc = world.escalation(priority="P3")
    esc = actions.change_priority(esc, "P1", actor=world.actor(), now=world.now)
    assert [d["policy"]["name"] for d in applied(esc)] == ["Default", "P1"]
    assert esc.sla_policy_id == p1.pk and esc.sla_generation == 2
    esc = actions.change_priority(esc, "P2", actor=world.actor(), now=world.now)
    esc = actions.change_priority(esc, "P3", actor=world.actor(), now=world.now)
    # P2 and P3 both fall to Default: one new snapshot when leaving P1, none for P2 → P3.
    assert [d["policy"]["name"] for d in applied(esc)] == ["Default", "P1", "Default"]


def test_no_policy_means_no_snapshot(world):
    esc = world.escalation()
    assert applied(esc) == [] and esc.sla_policy_id is None


def test_admin_retime_action_applies_the_edited_policy_to_open_escalations_only(world, calendar, client):
    from tierline.accounts.models import User

    p = policy(world, calendar, "Default")
    open_one = world.escalation()
    closed_one = world.escalation(title="done")
    actions.acknowledge(closed_one, actor=world.actor(), now=world.now)
    actions.resolve(closed_one, summary="ok", resolution_code="fixed", actor=world.actor(), now=world.now)
    p.resolution = dt.timedelta(hours=2)
    p.save()
    admin_user = world.users["admin"]
    User.objects.filter(pk=admin_user.pk).update(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    response = client.post("/admin/sla/slapolicy/", {"action": "retime", "_selected_action": [p.pk]}, follow=True)
    assert "Re-timed 1 open escalation(s)." in response.content.decode()
    assert [d["policy"]["targets"]["resolution"] for d in applied(open_one)] == [8 * 3600, 2 * 3600]
    assert len(applied(closed_one)) == 1
