"""The customer-update cadence: when the policy's update time comes, the owner is reminded — or,
where the tenant switched it on, the customer gets the status-update template by itself."""

import datetime as dt

import pytest

from tierline import actions
from tierline.actions.sweep import sweep
from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.escalations.models import Escalation
from tierline.notifications.customer_mail import render_message
from tierline.notifications.models import CommsSettings, OutboxMessage
from tierline.sla.models import Calendar, SlaPolicy

H = dt.timedelta(hours=1)


@pytest.fixture
def cadence(world):
    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    SlaPolicy.objects.create(tenant=world.tenant, name="Std", calendar=cal, update_cadence=2 * H, resolution=48 * H)
    return world


def types(esc):
    return [EventType(t).code for t in Event.objects.filter(escalation=esc).order_by("seq").values_list("type", flat=True)]


def test_the_owner_is_reminded_once_when_an_update_is_due(cadence):
    world = cadence
    esc = world.escalation()
    esc = actions.assign(esc, world.users["specialist"], actor=world.actor(), now=world.now)
    sweep(world.now + 2 * H - dt.timedelta(seconds=1))
    assert "update_due" not in types(esc)
    sweep(world.now + 2 * H)
    sweep(world.now + 2 * H)  # again: nothing is owed twice
    assert types(esc).count("update_due") == 1
    reminder = OutboxMessage.objects.get(escalation=esc, event__type=EventType.UPDATE_DUE)
    assert reminder.recipient_user == world.users["specialist"] and "update" in reminder.subject
    # Nothing went to the customer on its own.
    assert not OutboxMessage.objects.filter(escalation=esc, channel="email", payload__kind="status_update").exists()


def test_an_unowned_escalation_reminds_the_supervisor_chain(cadence):
    world = cadence
    esc = world.escalation()
    sweep(world.now + 2 * H)
    reminders = OutboxMessage.objects.filter(escalation=esc, event__type=EventType.UPDATE_DUE)
    assert sorted(reminders.values_list("recipient_user__username", flat=True)) == ["manager", "supervisor"]


def test_a_reply_in_time_meets_the_cadence_and_nobody_is_reminded(cadence):
    world = cadence
    esc = world.escalation()
    actions.add_public_reply(esc, "Working on it", actor=world.actor("agent"), now=world.now + H)
    sweep(world.now + 2 * H)
    assert "update_due" not in types(esc)


def test_auto_status_update_sends_the_template_and_starts_the_next_cycle(cadence):
    world = cadence
    CommsSettings.objects.create(tenant=world.tenant, auto_status_update=True)
    esc = world.escalation()
    sweep(world.now + 2 * H)
    sweep(world.now + 2 * H)
    reply = Event.objects.get(escalation=esc, type=EventType.PUBLIC_REPLY)
    assert reply.actor_kind == "system" and reply.data["auto"] is True and reply.data["from"] == "system"
    assert "automatic update" in reply.data["body"]
    (mail,) = OutboxMessage.objects.filter(escalation=esc, channel="email", payload__kind="status_update")
    assert mail.recipient_address == world.customer.email and esc.reference in mail.subject
    assert "automatic update" in render_message(mail).text  # what delivery will send
    assert "update_due" not in types(esc)
    # The reply met the cycle: the next update is due two hours later, and then sent again.
    assert Escalation.objects.get(pk=esc.pk).next_deadline == world.now + 4 * H
    sweep(world.now + 4 * H)
    assert OutboxMessage.objects.filter(escalation=esc, channel="email", payload__kind="status_update").count() == 2


def test_auto_update_without_a_customer_email_falls_back_to_the_reminder(cadence):
    world = cadence
    CommsSettings.objects.create(tenant=world.tenant, auto_status_update=True)
    world.customer.email = ""
    world.customer.save()
    esc = world.escalation()
    sweep(world.now + 2 * H)
    assert "update_due" in types(esc) and "public_reply" not in types(esc)


def test_another_tenants_setting_does_not_apply(cadence):
    world = cadence
    CommsSettings.objects.create(tenant=world.other_tenant, auto_status_update=True)
    esc = world.escalation()
    sweep(world.now + 2 * H)
    assert "update_due" in types(esc) and "public_reply" not in types(esc)
