"""Two pollers on one mailbox (PostgreSQL: real concurrent transactions)."""

import threading
import time

import pytest
from django.db import connection

from tierline.audit.event_types import EventType as T
from tierline.audit.models import Event
from tierline.mailin import process as process_module
from tierline.mailin.models import InboundMail, IntakeAddress
from tierline.mailin.process import process
from tierline.mailin.tests import mails
from tierline.mailin.tests.mails import mail
from tierline.testing.world import build_world


@pytest.mark.postgres_only
def test_two_pollers_on_the_same_mail_at_once_act_once(transactional_db, monkeypatch):
    w = build_world()
    w.customer.email = mails.CUSTOMER
    w.customer.save()
    IntakeAddress.objects.create(tenant=w.tenant, address=mails.INTAKE)
    esc = w.escalation()
    raw = mail(subject=f"Re: {esc.reference}", body="At the same time")
    slow = process_module._decide_safely

    def slowly(*args, **kwargs):
        slow(*args, **kwargs)
        time.sleep(1.0)  # hold the claim uncommitted while the second poller arrives

    monkeypatch.setattr(process_module, "_decide_safely", slowly)
    results, errors = [], []

    def poller(delay):
        try:
            time.sleep(delay)
            results.append(process(raw, now=w.now))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poller, args=(d,)) for d in (0, 0.3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(r.duplicate for r in results) == [False, True] and len({r.pk for r in results}) == 1
    assert InboundMail.objects.count() == 1
    assert Event.objects.filter(escalation=esc, type=T.PUBLIC_REPLY).count() == 1
