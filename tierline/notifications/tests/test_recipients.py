"""Who hears about what: owner, team, watchers, the supervisor chain for SLA steps, the customer,
the client company's contacts — and each person's channels and quiet hours."""

import datetime as dt

from tierline import actions
from tierline.actions.sweep import sweep
from tierline.notifications.models import ClientContact, NotificationPreference, OutboxMessage
from tierline.sla.models import Calendar, SlaPolicy

H = dt.timedelta(hours=1)


def in_app(esc, event_type):
    return sorted(OutboxMessage.objects.filter(escalation=esc, channel="in_app", event__type=event_type)
                  .values_list("recipient_user__username", flat=True))


def emails(esc, event_type=None):
    qs = OutboxMessage.objects.filter(escalation=esc, channel="email")
    if event_type is not None:
        qs = qs.filter(event__type=event_type)
    return sorted(qs.values_list("recipient_address", flat=True))


def test_unowned_new_work_reaches_the_team_leads_and_the_owner_hears_once_assigned(world):
    esc = world.escalation(role="agent")  # Frontline care: lead = supervisor
    assert in_app(esc, 100) == ["supervisor"]
    esc = actions.assign(esc, world.users["agent"], actor=world.actor("supervisor"), now=world.now)
    assert in_app(esc, 210) == ["agent"]


def test_watchers_and_the_previous_owner_hear_and_the_author_does_not(world):
    esc = world.escalation()
    esc = actions.assign(esc, world.users["agent"], actor=world.actor(), now=world.now)
    esc = actions.watch(esc, world.users["manager"], actor=world.actor("manager"), now=world.now)
    esc = actions.assign(esc, world.users["specialist"], actor=world.actor(), now=world.now + H)
    # New owner, previous owner, watcher; the supervisor who reassigned it is not told.
    last = OutboxMessage.objects.filter(escalation=esc, event__type=210).latest("event__seq").event_id
    assert sorted(OutboxMessage.objects.filter(event_id=last, channel="in_app")
                  .values_list("recipient_user__username", flat=True)) == ["agent", "manager", "specialist"]
    esc = actions.add_public_reply(esc, "On it", actor=world.actor("specialist"), now=world.now + 2 * H)
    assert in_app(esc, 301) == ["manager"]


def test_an_sla_notify_step_reaches_the_supervisor_chain(world):
    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    SlaPolicy.objects.create(tenant=world.tenant, name="Std", calendar=cal, resolution=4 * H, steps=[
        {"target": "resolution", "offset": 0, "action": "notify", "whom": "supervisor_chain"}])
    esc = world.escalation()
    sweep(world.now + 4 * H)
    # Frontline care (lead: supervisor) → L2 → L3 → Service management (lead: manager) → L5.
    assert in_app(esc, 403) == ["manager", "supervisor"]


def test_the_customer_gets_public_replies_and_status_changes_not_internal_notes(world):
    esc = world.escalation()
    actor = world.actor("specialist")
    esc = actions.acknowledge(esc, actor=actor, now=world.now)
    esc = actions.add_internal_note(esc, "internal", actor=actor, now=world.now + H)
    assert emails(esc, 300) == []
    esc = actions.add_public_reply(esc, "We found it", actor=actor, now=world.now + H)
    assert emails(esc, 301) == [world.customer.email]
    esc = actions.set_pending(esc, actor=actor, now=world.now + 2 * H, waiting_on="customer", reason="need logs")
    assert emails(esc, 120) == [world.customer.email]
    kinds = sorted(OutboxMessage.objects.filter(escalation=esc, channel="email").values_list("payload__kind", flat=True))
    assert kinds == ["acknowledgement", "status_update", "waiting_for_you"]


def _contacts(world):
    ClientContact.objects.create(tenant=world.tenant, name="Vera", email="vera@acme.example",
                                 vip_escalations=True, management_escalations=False)
    ClientContact.objects.create(tenant=world.tenant, name="Mo", email="mo@acme.example",
                                 vip_escalations=False, management_escalations=True)
    ClientContact.objects.create(tenant=world.tenant, name="Gone", email="gone@acme.example", is_active=False)
    ClientContact.objects.create(tenant=world.other_tenant, name="Other", email="o@globex.example")


def test_client_contacts_hear_of_vip_escalations(world):
    _contacts(world)
    esc = world.escalation(customer=world.vip)
    assert emails(esc, 100) == sorted(["vera@acme.example", world.vip.email])
    message = OutboxMessage.objects.get(escalation=esc, recipient_address="vera@acme.example")
    assert esc.reference in message.subject and "VIP" in message.body


def test_client_contacts_hear_when_an_escalation_reaches_management(world):
    _contacts(world)
    esc = world.escalation()
    assert emails(esc, 100) == [world.customer.email]  # standard customer, L1: no contact
    esc = actions.escalate(esc, actor=world.actor(), now=world.now + H, reason="exec complaint",
                           trigger="hierarchical", team=world.teams["l4"])
    assert "mo@acme.example" in emails(esc, 200) and "vera@acme.example" not in emails(esc, 200)
    esc = actions.acknowledge(esc, actor=world.actor("manager"), now=world.now + H)
    esc = actions.resolve(esc, actor=world.actor("manager"), now=world.now + 2 * H, summary="Fixed",
                          resolution_code="fixed")
    assert "mo@acme.example" in emails(esc, 500)
    assert not OutboxMessage.objects.filter(recipient_address__in=["gone@acme.example", "o@globex.example"]).exists()


def _prefs(world, role, **kw):
    kw.setdefault("updated_at", world.now)
    return NotificationPreference.objects.create(tenant=world.tenant, user=world.users[role], **kw)


def test_preferences_choose_channels_per_kind(world):
    world.users["supervisor"].email = "sup@bpo.example"
    world.users["supervisor"].save()
    _prefs(world, "supervisor", channels={"intake": ["email"], "assignment": []})
    esc = world.escalation(role="agent")
    created = OutboxMessage.objects.filter(escalation=esc, event__type=100, recipient_user=world.users["supervisor"])
    assert [(m.channel, m.recipient_address) for m in created] == [("email", "sup@bpo.example")]
    esc = actions.assign(esc, world.users["supervisor"], actor=world.actor("agent"), now=world.now)
    assert in_app(esc, 210) == []  # assignment switched off entirely
    esc = actions.add_public_reply(esc, "x", actor=world.actor("agent"), now=world.now)
    assert in_app(esc, 301) == ["supervisor"]  # a kind not chosen keeps the default


def test_quiet_hours_defer_in_each_persons_time_zone_except_p1(world):
    # 09:30 UTC: night in Sydney (20:30 AEDT) for the supervisor, morning in London for the manager.
    world.users["supervisor"].time_zone = "Australia/Sydney"
    world.users["supervisor"].save()
    world.users["manager"].time_zone = "Europe/London"
    world.users["manager"].save()
    _prefs(world, "supervisor", quiet_start=dt.time(20), quiet_end=dt.time(7))
    _prefs(world, "manager", quiet_start=dt.time(20), quiet_end=dt.time(7))
    esc = world.escalation(role="agent")
    esc = actions.watch(esc, world.users["manager"], actor=world.actor("manager"), now=world.now)
    esc = actions.watch(esc, world.users["supervisor"], actor=world.actor("supervisor"), now=world.now)
    esc = actions.add_public_reply(esc, "x", actor=world.actor("agent"), now=world.now)
    due = dict(OutboxMessage.objects.filter(escalation=esc, event__type=301, channel="in_app")
               .values_list("recipient_user__username", "next_attempt_at"))
    assert due["manager"] == world.now
    assert due["supervisor"] == dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)  # 07:00 in Sydney
    p1 = world.escalation(role="agent", priority="P1")
    (message,) = OutboxMessage.objects.filter(escalation=p1, event__type=100, recipient_user=world.users["supervisor"])
    assert message.next_attempt_at == world.now  # critical: at once, quiet hours or not
