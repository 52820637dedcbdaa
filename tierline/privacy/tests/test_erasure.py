"""The right to erasure: the customer's data is gone from every table, the chains still verify."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from tierline import actions
from tierline.actions._base import tracked_state
from tierline.actions.erasure import erase_customer, erased_name
from tierline.audit.event_types import EventType as T
from tierline.audit.models import Event
from tierline.audit.verify import tenant_chain_problem
from tierline.core.actors import Actor
from tierline.core.errors import NotFound, PermissionDenied
from tierline.escalations.models import Attachment, Escalation
from tierline.escalations.replay import check_consistency, replay
from tierline.mailin.models import IntakeAddress
from tierline.mailin.process import process
from tierline.mailin.tests.mails import mail
from tierline.mailin.tests.test_process import publish_matrix
from tierline.privacy.keys import open_rows
from tierline.privacy.models import CustomerKey, Erasure
from tierline.tenancy.models import Customer, Membership

MIN = dt.timedelta(minutes=1)
NAME, EMAIL, PHONE = "Zebedee Quuxworth", "zebedee.quux@example.net", "+44 20 7946 0958"
# Words that occur only in what the customer wrote or what was written about them.
SECRETS = [NAME, "Quuxworth", EMAIL, PHONE, "marmalade-flavoured", "periwinkle", "tangerine", "zebedee-invoice",
           "ocelot", "pangolin", "Hello Zebedee"]


def dump_hits(needles) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every stored value of every table that contains a needle."""
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
                    hits += [(table, column, n) for n in needles if n.lower() in text.lower()]
    return hits


@pytest.fixture
def zebedee(world):
    """A customer with a full history: intake by phone, replies both ways, a file, a rating, an email."""
    w = world
    IntakeAddress.objects.create(tenant=w.tenant, address="support@acme.example")
    customer = Customer.objects.create(tenant=w.tenant, name=NAME, email=EMAIL, phone=PHONE, account_id="AC-991")
    me = Actor.for_customer(customer)
    esc = w.escalation(title="Refund for Zebedee Quuxworth", customer=customer,
                       description=f"Caller {NAME} ({PHONE}) says the marmalade-flavoured invoice is wrong")
    at = w.now
    actions.add_public_reply(esc, "Hello Zebedee, we are on it", actor=w.actor(), now=(at := at + MIN))
    actions.customer_reply(esc, "Still wrong, the periwinkle line is doubled", actor=me, now=(at := at + MIN))
    actions.customer_attach(esc, filename="zebedee-invoice.pdf", content=b"%PDF-1.4 pangolin", actor=me,
                            content_type="application/pdf", now=(at := at + MIN))
    actions.add_internal_note(esc, f"Called back on {PHONE}", actor=w.actor(), now=(at := at + MIN))
    actions.acknowledge(esc, actor=w.actor(), now=(at := at + MIN))
    actions.resolve(esc, summary="Refunded Zebedee Quuxworth", resolution_code="fixed", actor=w.actor(), now=(at := at + MIN))
    actions.record_csat(esc, 5, "tangerine service", actor=me, now=(at := at + MIN))
    publish_matrix(w)
    record = process(mail(subject="New problem", body="The ocelot page is down again", sender=EMAIL,
                          sender_name=NAME), now=at + MIN)
    second = Escalation.objects.get(pk=record.escalation_id)
    assert second.customer_id == customer.pk
    other = w.escalation(title="Someone else's case", description="Dana's own words stay")
    return customer, [esc, second], other


def test_the_customers_text_is_stored_sealed_from_the_start(zebedee):
    customer, (esc, _), _ = zebedee
    assert {(t, c) for t, c, _ in dump_hits(["periwinkle", "tangerine", "zebedee-invoice"])} <= {
        ("escalations_escalation", "csat_comment"), ("escalations_attachment", "filename")}
    [reply] = [e for e in Event.objects.filter(escalation=esc, type=T.PUBLIC_REPLY) if e.data.get("from")]
    assert reply.data["body"] == "Still wrong, the periwinkle line is doubled"  # opened for the reader
    assert reply.stored_data["body"].startswith("pii1:")


def test_erasure_removes_the_customer_from_every_table_and_the_chain_still_verifies(
        zebedee, world, client, django_capture_on_commit_callbacks):
    customer, escalations, other = zebedee
    assert dump_hits(SECRETS)  # the seeding did store them (on the row, the customer, the outbox, the mail)
    files = [a.file.name for a in Attachment.objects.filter(escalation__customer=customer)]
    assert files and all(default_storage.exists(f) for f in files)

    with django_capture_on_commit_callbacks(execute=True):  # files go once the erasure commits
        outcome = erase_customer(customer, actor=world.actor("admin"), now=world.now + 60 * MIN)

    assert (outcome.escalations, outcome.already) == (2, False)
    assert dump_hits(SECRETS) == []
    assert not any(default_storage.exists(f) for f in files)
    assert tenant_chain_problem(world.tenant.pk) is None
    call_command("audit", "verify")  # raises CommandError on a broken chain
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.phone) == (erased_name(customer.pk), "", "")
    assert not CustomerKey.objects.filter(customer=customer).exists()
    for esc in escalations:
        row = Escalation.objects.get(pk=esc.pk)
        assert row.title == "[erased]"
        assert Event.objects.filter(escalation=row, type=T.ERASED).count() == 1
        log = open_rows(list(Event.objects.filter(escalation=row).values("seq", "type", "data")))
        assert replay(log) == tracked_state(row) and check_consistency(log) is None
    # Another customer's escalation keeps its text.
    other.refresh_from_db()
    assert other.description == "Dana's own words stay"
    assert not Event.objects.filter(escalation=other, type=T.ERASED).exists()

    # Staff still see the escalation, with "[erased]" where the text was.
    client.force_login(world.users["supervisor"])
    page = client.get(f"/escalations/{escalations[0].reference}/").content.decode()
    assert "[erased]" in page and "periwinkle" not in page
    api = client.get(f"/api/v1/escalations/{escalations[0].reference}").json()
    bodies = [e["data"].get("body") for e in api["timeline"] if e["type"] == "public_reply"]
    assert bodies == ["[erased]", "[erased]"]


def test_erasing_twice_does_nothing_the_second_time(zebedee, world):
    customer, *_ = zebedee
    erase_customer(customer, actor=world.actor("admin"), now=world.now + 60 * MIN)
    count = Event.objects.count()
    again = erase_customer(customer, actor=world.actor("admin"), now=world.now + 61 * MIN)
    assert again.already and Event.objects.count() == count and Erasure.objects.count() == 1


@pytest.mark.parametrize("role", ["supervisor", "manager", "compliance", "client_viewer"])
def test_only_an_admin_may_erase(zebedee, world, role):
    customer, *_ = zebedee
    with pytest.raises(PermissionDenied):
        erase_customer(customer, actor=world.actor(role), now=world.now + 60 * MIN)
    assert Customer.objects.get(pk=customer.pk).name == NAME and not Erasure.objects.exists()


def test_another_tenants_admin_cannot_erase(zebedee, world):
    customer, *_ = zebedee
    Membership.objects.filter(user=world.other_user).update(role="admin")  # GLOBEX's admin
    with pytest.raises(NotFound):
        erase_customer(customer, actor=Actor.for_user(world.other_user), now=world.now + 60 * MIN)
    assert Customer.objects.get(pk=customer.pk).name == NAME
