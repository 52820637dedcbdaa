"""Issuing, revoking and resolving status links, at the function level."""

import datetime as dt

import pytest
from django.utils import timezone

from tierline.core.actors import Actor
from tierline.core.errors import InvalidInput, NotFound, PermissionDenied
from tierline.statuspage.links import NOT_FOUND_MESSAGE, issue_link, live_links, resolve_token, revoke
from tierline.statuspage.models import StatusLink

# Every customer email carries a link of its own (notifications/status_links.py); these tests are about
# the links staff issue.
STAFF = StatusLink.objects.exclude(created_by="system:customer-mail")

DAY = dt.timedelta(days=1)


def test_issue_stores_only_a_digest_and_defaults_to_thirty_days(world):
    esc = world.escalation()
    link, token = issue_link(esc, actor=world.actor("agent"), now=world.now)
    assert len(token) >= 43
    stored = StatusLink.objects.filter(pk=link.pk).values().get()
    assert token not in repr(stored)
    assert stored["digest"] == StatusLink.digest_of(token)
    assert (stored["tenant_id"], stored["escalation_id"]) == (esc.tenant_id, esc.pk)
    assert (stored["created_at"], stored["expires_at"]) == (world.now, world.now + 30 * DAY)
    assert stored["created_by"] == "user:agent" and stored["revoked_at"] is None
    assert resolve_token(token, now=world.now).pk == link.pk


def test_each_link_is_a_new_secret(world):
    esc = world.escalation()
    tokens = {issue_link(esc, actor=world.actor(), now=world.now)[1] for _ in range(3)}
    assert len(tokens) == 3 and STAFF.count() == 3


def test_expiry_is_configurable_and_bounded(world):
    esc = world.escalation()
    link, token = issue_link(esc, actor=world.actor(), now=world.now, days=2)
    assert resolve_token(token, now=world.now + 2 * DAY - dt.timedelta(seconds=1)).pk == link.pk
    with pytest.raises(NotFound):
        resolve_token(token, now=world.now + 2 * DAY)
    for bad in (0, 366, -1, "30", True):
        with pytest.raises(InvalidInput):
            issue_link(esc, actor=world.actor(), now=world.now, days=bad)
    with pytest.raises(InvalidInput):
        issue_link(esc, actor=world.actor(), now=dt.datetime(2026, 3, 2, 9, 30))  # naive
    assert STAFF.count() == 1


def test_unknown_expired_revoked_and_malformed_are_the_same_not_found(world):
    esc = world.escalation()
    _, expired = issue_link(esc, actor=world.actor(), now=world.now - 31 * DAY)
    link, revoked = issue_link(esc, actor=world.actor(), now=world.now)
    revoke(link, actor=world.actor(), now=world.now)
    messages = set()
    for token in (expired, revoked, "A" * 43, "short", "../../etc/passwd" + "a" * 30, None, "é" * 43):
        with pytest.raises(NotFound) as info:
            resolve_token(token, now=world.now + dt.timedelta(seconds=1))
        messages.add((info.value.message, info.value.code))
    assert messages == {(NOT_FOUND_MESSAGE, "not_found")}


def test_revoke_records_who_and_when_once(world):
    esc = world.escalation()
    link, token = issue_link(esc, actor=world.actor("agent"), now=world.now)
    revoke(link, actor=world.actor("supervisor"), now=world.now + DAY)
    revoke(link, actor=world.actor("manager"), now=world.now + 2 * DAY)
    link.refresh_from_db()
    assert (link.revoked_at, link.revoked_by) == (world.now + DAY, "user:supervisor")
    assert [x for x in live_links(esc, now=world.now) if x.created_by != "system:customer-mail"] == []


def test_live_links_lists_only_working_ones(world):
    esc = world.escalation()
    old, _ = issue_link(esc, actor=world.actor(), now=world.now - 40 * DAY)
    gone, _ = issue_link(esc, actor=world.actor(), now=world.now)
    revoke(gone, actor=world.actor(), now=world.now)
    live, _ = issue_link(esc, actor=world.actor(), now=world.now)
    assert [x.pk for x in live_links(esc, now=world.now) if x.created_by != "system:customer-mail"] == [live.pk]


def test_a_client_viewer_cannot_issue_or_revoke(world):
    esc = world.escalation()
    with pytest.raises(PermissionDenied):
        issue_link(esc, actor=world.actor("client_viewer"), now=world.now)
    assert not STAFF.exists()
    link, token = issue_link(esc, actor=world.actor(), now=world.now)
    with pytest.raises(PermissionDenied):
        revoke(link, actor=world.actor("client_viewer"), now=world.now)
    assert resolve_token(token, now=world.now).pk == link.pk


def test_customers_and_other_tenants_cannot_issue(world):
    esc = world.escalation()
    with pytest.raises(PermissionDenied):
        issue_link(esc, actor=Actor.for_customer(world.customer), now=world.now)
    with pytest.raises(NotFound):
        issue_link(esc, actor=Actor.for_user(world.other_user), now=world.now)
    link, _ = issue_link(esc, actor=world.actor(), now=world.now)
    with pytest.raises(NotFound):
        revoke(link, actor=Actor.for_user(world.other_user), now=world.now)
    assert STAFF.count() == 1


def test_no_link_for_an_escalation_without_a_customer(world):
    esc = world.escalation(customer=None)
    with pytest.raises(InvalidInput) as info:
        issue_link(esc, actor=world.actor(), now=timezone.now())
    assert info.value.code == "no_customer"
