"""No N+1: the queue list, the detail page and their API endpoints cost the same number of
queries whether they show a few rows/events or many (measured at two sizes, compared exactly)."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tierline import actions
from tierline.testing.factories import CustomerFactory, MembershipFactory, TeamMemberFactory, UserFactory

_n = itertools.count()


def queries_for(fn) -> int:
    fn()  # warm: session, content types, per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def add_escalations(world, count):
    """Rows that differ in everything a list shows: team, owner, customer, tags, merged state."""
    agents = []
    for _ in range(3):
        user = UserFactory(username=f"qc-agent-{next(_n)}")
        MembershipFactory(tenant=world.tenant, user=user, role="agent")
        TeamMemberFactory(team=world.teams["l1"], user=user)
        agents.append(user)
    agents.append(world.users["supervisor"])  # so "mine" has rows too
    teams = [world.teams["l1"], world.teams["l2"], world.teams["billing"]]
    for i in range(count):
        world.escalation(title=f"Case {next(_n)}", team=teams[i % 3], owner=agents[i % 4] if i % 2 else None,
                         customer=CustomerFactory(tenant=world.tenant) if i % 4 else None, tags=[f"t{i % 5}"])


def grow_detail(world, esc, events):
    actor = world.actor("supervisor")
    others = [world.escalation(title=f"Related {next(_n)}") for _ in range(2)]
    for other in others:
        actions.link(esc, other, kind="related_to", actor=actor, now=world.now)
    actions.watch(esc, world.users["agent"], actor=actor, now=world.now)
    while esc.events.count() < events:
        actions.add_internal_note(esc, "still working", actor=actor, now=world.now)


@pytest.fixture
def sup(client, world):
    client.force_login(world.users["supervisor"])
    return client


@pytest.fixture
def api(client, world):
    token = world.token("supervisor")
    return lambda path: client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("view", ["open", "team", "mine", "at_risk"])
def test_queue_list_page_queries_do_not_grow_with_rows(sup, world, view):
    url = reverse("escalations:list")
    add_escalations(world, 4)  # the fourth is the supervisor's: every tab has rows
    few = queries_for(lambda: sup.get(url, {"view": view}))
    add_escalations(world, 30)
    many = queries_for(lambda: sup.get(url, {"view": view}))
    assert many == few, f"{view}: {few} queries for 4 rows, {many} for 34"
    # 12 before numbered pages: the page total (COUNT) and the bulk form's owner list add one each;
    # the team tab reads the user's teams for the rows and again for its tab count.
    assert many <= (15 if view == "team" else 14)


def test_api_list_queries_do_not_grow_with_rows(api, world):
    add_escalations(world, 3)
    few = queries_for(lambda: api("/api/v1/escalations?status=open"))
    add_escalations(world, 30)
    many = queries_for(lambda: api("/api/v1/escalations?status=open"))
    assert many == few and many <= 6, (few, many)


def test_detail_page_queries_do_not_grow_with_events(sup, world):
    esc = world.escalation()
    url = reverse("escalations:detail", args=[esc.reference])
    grow_detail(world, esc, 6)
    few = queries_for(lambda: sup.get(url))
    grow_detail(world, esc, 60)
    many = queries_for(lambda: sup.get(url))
    assert many == few, f"{few} queries with 6 events, {many} with 60"


def test_api_detail_queries_do_not_grow_with_events(api, world):
    esc = world.escalation()
    path = f"/api/v1/escalations/{esc.reference}"
    grow_detail(world, esc, 6)
    few = queries_for(lambda: api(path))
    grow_detail(world, esc, 60)
    many = queries_for(lambda: api(path))
    assert many == few and many <= 11, (few, many)  # 11: the "viewed" access-log insert
