"""Erasure when escalations change customer (docs/privacy.md, "Stints").

The reported case first, then the property: random sequences of create / change customer / edit
text / reply / erase any customer, after which every tenant chain verifies, every escalation's
log replays to its row, and no text that belonged only to erased people can be read — not in the
opened log, not in any column of any table.

Whose text is whose, as the test models it: text written while an escalation has customer X
belongs to X (None while it has none); when the customer changes, the escalation's current
title, description and resolution summary also belong to the new customer (they are handed
over). Erasing X takes X off every text; a text left with no owner, and every text ever written
on an escalation whose customer X is at that moment, must be unreadable from then on.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tierline import actions
from tierline.actions._base import tracked_state
from tierline.actions.erasure import erase_customer
from tierline.audit.models import Event
from tierline.audit.verify import tenant_chain_problem
from tierline.escalations.models import Escalation
from tierline.escalations.replay import check_consistency, replay
from tierline.privacy.keys import open_rows
from tierline.privacy.tests.test_erasure import dump_hits
from tierline.tenancy.models import Customer

MIN = dt.timedelta(minutes=1)
_serial = itertools.count(1)


def token(kind: str) -> str:
    # Unique words, so a hit names exactly one piece of text.
    return f"{kind}{next(_serial):05d}qz"


def log_of(esc_id: int) -> list[dict]:
    return open_rows(list(Event.objects.filter(escalation_id=esc_id).order_by("seq").values("seq", "type", "data")))


def readable(esc_ids) -> str:
    """Everything a reader of these escalations can see: rows and opened logs."""
    parts = []
    for pk in esc_ids:
        row = Escalation.objects.get(pk=pk)
        parts += [row.title, row.description, row.resolution_summary, repr(log_of(pk))]
    return "\n".join(parts)


def assert_log_is_the_row(esc_ids, tenant_id):
    assert tenant_chain_problem(tenant_id) is None
    for pk in esc_ids:
        row, log = Escalation.objects.get(pk=pk), log_of(pk)
        assert check_consistency(log) is None
        assert replay(log) == tracked_state(row)


def test_erasing_the_new_customer_erases_what_was_written_under_the_first(world):
    first = Customer.objects.create(tenant=world.tenant, name="First Customer")
    second = Customer.objects.create(tenant=world.tenant, name="Second Customer")
    esc = world.escalation(customer=first, title="Outage at firstcustomer-hq", description="firstcustomer-notes")
    actions.add_public_reply(esc, "Dear firstcustomer-reply", actor=world.actor(), now=world.now + MIN)
    actions.edit_details(esc, customer=second, actor=world.actor(), now=world.now + 2 * MIN)
    erase_customer(second, actor=world.actor("admin"), now=world.now + 3 * MIN)
    shown = readable([esc.pk])
    assert "firstcustomer" not in shown
    assert dump_hits(["firstcustomer"]) == []
    assert_log_is_the_row([esc.pk], world.tenant.pk)


def test_erasing_the_first_customer_keeps_the_text_handed_to_the_second(world):
    first = Customer.objects.create(tenant=world.tenant, name="First Customer")
    second = Customer.objects.create(tenant=world.tenant, name="Second Customer")
    esc = world.escalation(customer=first, title="Old title oldtitle-a", description="")
    actions.edit_details(esc, title="Current title kept-b", actor=world.actor(), now=world.now + MIN)
    actions.add_public_reply(esc, "Reply firstonly-c", actor=world.actor(), now=world.now + 2 * MIN)
    actions.edit_details(esc, customer=second, actor=world.actor(), now=world.now + 3 * MIN)
    erase_customer(first, actor=world.actor("admin"), now=world.now + 4 * MIN)
    shown = readable([esc.pk])
    assert "oldtitle-a" not in shown and "firstonly-c" not in shown
    assert Escalation.objects.get(pk=esc.pk).title == "Current title kept-b"  # the second customer's case now
    assert_log_is_the_row([esc.pk], world.tenant.pk)


STEPS = st.lists(st.tuples(st.sampled_from(["create", "customer", "title", "description", "reply", "note",
                                            "erase", "erase"]),
                           st.integers(0, 10), st.integers(0, 10)), min_size=3, max_size=14)


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_any_erasure_keeps_the_log_whole_and_the_erased_unreadable(world, steps):
    customers = [Customer.objects.create(tenant=world.tenant, name=f"Person {token('n')}") for _ in range(3)]
    admin, staff = world.actor("admin"), world.actor()
    erased: set[int] = set()
    escalations: dict[int, dict] = {}  # pk -> {"customer": id|None, "text": {field: token}, "tokens": set}
    owners: dict[str, set] = {}  # token -> customer ids (None: written while there was none)
    dead: set[str] = set()
    now = world.now

    def live_choice(n):
        choices = [None, *(c.pk for c in customers if c.pk not in erased)]
        return choices[n % len(choices)]

    def write(pk, tok, field=None):
        model = escalations[pk]
        owners[tok] = {model["customer"]}
        model["tokens"].add(tok)
        if field:
            model["text"][field] = tok

    for kind, a, b in [("create", 0, 0), *steps]:
        now += MIN
        if kind == "create" or not escalations:
            customer_id = live_choice(a)
            title, description = token("t"), token("d")
            esc = world.escalation(title=title, description=description, now=now,
                                   customer=None if customer_id is None else Customer.objects.get(pk=customer_id))
            escalations[esc.pk] = {"customer": customer_id, "text": {}, "tokens": set()}
            write(esc.pk, title, "title")
            write(esc.pk, description, "description")
            continue
        pk = sorted(escalations)[a % len(escalations)]
        model = escalations[pk]
        if kind == "customer":
            new = live_choice(b)
            if new == model["customer"]:
                continue
            actions.edit_details(pk, customer=None if new is None else Customer.objects.get(pk=new),
                                 actor=staff, now=now)
            model["customer"] = new
            for tok in model["text"].values():  # handed over to the new customer
                owners[tok].add(new)
        elif kind in ("title", "description"):
            tok = token(kind[0])
            actions.edit_details(pk, **{kind: f"{kind} {tok}"}, actor=staff, now=now)
            write(pk, tok, kind)
        elif kind in ("reply", "note"):
            tok = token(kind[0])
            verb = actions.add_public_reply if kind == "reply" else actions.add_internal_note
            verb(pk, f"{kind} {tok}", actor=staff, now=now)
            write(pk, tok)
        elif kind == "erase":
            victim = customers[b % len(customers)]
            erase_customer(victim, actor=admin, now=now)
            if victim.pk in erased:
                continue  # a second erasure does nothing
            erased.add(victim.pk)
            for other in escalations.values():
                if other["customer"] == victim.pk:  # theirs: every word ever written on it goes
                    dead.update(other["tokens"])
                    other["text"] = {}
            for tok, who in owners.items():
                who.discard(victim.pk)
                if not who:
                    dead.add(tok)
            assert_log_is_the_row(escalations, world.tenant.pk)

    assert_log_is_the_row(escalations, world.tenant.pk)
    shown = readable(escalations)
    assert [t for t in dead if t in shown] == []
    assert dump_hits(sorted(dead)) == []
    alive = set(owners) - dead
    for pk, model in escalations.items():  # and erasure took nothing it should not have
        row = Escalation.objects.get(pk=pk)
        for field, tok in model["text"].items():
            if tok in alive:
                assert tok in getattr(row, field)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
