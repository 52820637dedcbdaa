"""A small fixed history built through the real actions, with figures worked out by hand.

Calendar: Mon–Fri 09:00–17:00 UTC. Policy: acknowledge 1 h, first response 2 h, resolution 8 h
(business), paused while pending the customer. Monday is 2026-03-02.

E1  Dana (standard), phone, L1   created Mon 09:30, ack 10:00, reply 10:30, pending 11:00–15:00,
    resolved 16:00, reopened Tue 09:00, resolved Tue 10:00 with 20.00 EUR, CSAT 5 at 11:00.
E2  Victor (VIP), email, L1      created Mon 12:00, assigned agent 12:10 → supervisor 12:20 → agent
    12:30 (2 reassignments), escalated to L2 13:00, back to L1 14:00, L2 again 15:00 (ping-pong),
    SLA sweep Mon 13:30 records the acknowledgement breach, ack 18:00 (after hours),
    resolved Tue 13:00 at L2, CSAT 2 at 13:30.
E3  Dana, chat, L1               created Tue 09:00, ack 09:15, still open.
G1  GLOBEX: created Mon 10:00 (must never show in ACME's figures).
"""

from __future__ import annotations

import datetime as dt

from tierline import actions
from tierline.actions.sweep import sweep
from tierline.core.actors import Actor
from tierline.sla.models import Calendar, SlaPolicy

MON = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
TUE = MON + dt.timedelta(days=1)
WED = MON + dt.timedelta(days=2)
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)

HOURS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def at(day, hh, mm=0):
    return day + dt.timedelta(hours=hh, minutes=mm)


def build(world) -> dict:
    cal = Calendar.objects.create(tenant=world.tenant, name="Office", spec={"timezone": "UTC", "hours": HOURS})
    SlaPolicy.objects.create(tenant=world.tenant, name="Standard", calendar=cal, acknowledgement=H,
                             first_response=2 * H, resolution=8 * H, pause_statuses=["pending_customer"])
    sup, agent = world.actor("supervisor"), world.actor("agent")
    u = world.users

    e1 = world.escalation(title="E1", now=at(MON, 9, 30), channel="phone", customer=world.customer)
    e1 = actions.acknowledge(e1, actor=sup, now=at(MON, 10))
    e1 = actions.add_public_reply(e1, "We are on it", actor=sup, now=at(MON, 10, 30))
    e1 = actions.set_pending(e1, waiting_on="customer", actor=sup, now=at(MON, 11))
    g1 = world.other_escalation()  # world.now is Mon 09:30: created at the same moment
    e2 = world.escalation(title="E2", now=at(MON, 12), channel="email", customer=world.vip)
    e2 = actions.assign(e2, u["agent"], actor=sup, now=at(MON, 12, 10))
    e2 = actions.assign(e2, u["supervisor"], actor=sup, now=at(MON, 12, 20))
    e2 = actions.assign(e2, u["agent"], actor=sup, now=at(MON, 12, 30))
    e2 = actions.escalate(e2, reason="needs L2", trigger="functional", actor=sup, now=at(MON, 13))
    sweep(at(MON, 13, 30))
    e2 = actions.de_escalate(e2, reason="back", actor=sup, now=at(MON, 14))
    e2 = actions.escalate(e2, reason="again", trigger="functional", actor=sup, now=at(MON, 15))
    e1 = actions.resume(e1, actor=sup, now=at(MON, 15))
    e1 = actions.resolve(e1, summary="fixed", resolution_code="fixed", actor=sup, now=at(MON, 16))
    e2 = actions.acknowledge(e2, actor=world.actor("specialist"), now=at(MON, 18))
    e1 = actions.reopen(e1, reason="still broken", actor=sup, now=at(TUE, 9))
    e3 = world.escalation(title="E3", now=at(TUE, 9), channel="chat", customer=world.customer)
    e3 = actions.acknowledge(e3, actor=agent, now=at(TUE, 9, 15))
    e1 = actions.resolve(e1, summary="fixed again", resolution_code="refund", compensation_amount="20",
                         compensation_currency="EUR", actor=sup, now=at(TUE, 10))
    e1 = actions.record_csat(e1, 5, actor=Actor.for_customer(world.customer), now=at(TUE, 11))
    e2 = actions.resolve(e2, summary="done", resolution_code="fixed", actor=world.actor("specialist"),
                         now=at(TUE, 13))
    e2 = actions.record_csat(e2, 2, actor=Actor.for_customer(world.vip), now=at(TUE, 13, 30))
    return {"e1": e1, "e2": e2, "e3": e3, "g1": g1}
