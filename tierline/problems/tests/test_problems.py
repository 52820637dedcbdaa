"""Problem records, root causes and CAPA: the events they leave on escalations, and tenancy and
roles from the attacker's side (pages and API)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from tierline import actions
from tierline.audit.event_types import EventType
from tierline.audit.models import Event
from tierline.audit.verify import tenant_chain_problem
from tierline.core.actors import Actor
from tierline.core.errors import NotFound, PermissionDenied
from tierline.problems import services
from tierline.problems.models import EscalationRootCause, Problem, ProblemLink, RootCause
from tierline.tenancy.models import Membership


@pytest.fixture
def taxonomy(world):
    network = RootCause.objects.create(tenant=world.tenant, code="network", name="Network")
    firmware = RootCause.objects.create(tenant=world.tenant, code="firmware", name="Router firmware", parent=network)
    theirs = RootCause.objects.create(tenant=world.other_tenant, code="network", name="Network")
    return {"network": network, "firmware": firmware, "theirs": theirs}


@pytest.fixture
def problem(world):
    return services.create_problem(world.tenant, actor=world.actor(), now=world.now, title="Router firmware 4.2 reboots")


def events(esc, *types):
    return [(EventType(e.type).code, e.data) for e in Event.objects.filter(escalation=esc, type__in=types).order_by("seq")]


def test_problem_references_count_per_tenant(world, problem):
    second = services.create_problem(world.tenant, actor=world.actor(), now=world.now, title="Second")
    globex = Membership.objects.get(user=world.other_user).tenant
    theirs = services.create_problem(globex, actor=Actor.for_user(world.other_user), now=world.now, title="Theirs")
    assert (problem.reference, second.reference, theirs.reference) == (
        "ACME-PRB-00001", "ACME-PRB-00002", "GLOBEX-PRB-00001")


def test_linking_and_unlinking_is_logged_on_the_escalation(world, problem):
    esc = world.escalation()
    version = esc.version
    esc = actions.link_problem(esc, problem, actor=world.actor("agent"), now=world.now)
    esc = actions.link_problem(esc, problem, actor=world.actor("agent"), now=world.now)  # again: nothing new
    assert esc.version == version + 1
    esc = actions.unlink_problem(esc, problem, actor=world.actor("agent"), now=world.now)
    assert events(esc, EventType.PROBLEM_LINKED, EventType.PROBLEM_UNLINKED) == [
        ("problem_linked", {"problem": problem.pk, "problem_reference": "ACME-PRB-00001",
                            "problem_title": "Router firmware 4.2 reboots"}),
        ("problem_unlinked", {"problem": problem.pk, "problem_reference": "ACME-PRB-00001"}),
    ]
    assert not ProblemLink.objects.exists()
    assert tenant_chain_problem(world.tenant.pk) is None


def test_root_cause_assignment_is_logged_with_its_path(world, taxonomy):
    esc = world.escalation()
    esc = actions.assign_root_cause(esc, taxonomy["firmware"], actor=world.actor(), now=world.now)
    esc = actions.assign_root_cause(esc, taxonomy["firmware"], actor=world.actor(), now=world.now)
    esc = actions.assign_root_cause(esc, taxonomy["network"], actor=world.actor(), now=world.now)
    esc = actions.assign_root_cause(esc, None, actor=world.actor(), now=world.now)
    logged = [d for _, d in events(esc, EventType.ROOT_CAUSE_ASSIGNED)]
    assert [(d["before"] or {}).get("path") for d in logged] == [None, "Network › Router firmware", "Network"]
    assert [(d["after"] or {}).get("path") for d in logged] == ["Network › Router firmware", "Network", None]
    assert not EscalationRootCause.objects.exists()


def test_another_tenants_problem_or_category_is_not_found_and_nothing_is_written(world, taxonomy):
    esc = world.escalation()
    theirs = services.create_problem(world.other_tenant, actor=Actor.for_user(world.other_user), now=world.now,
                                     title="Theirs")
    before = Event.objects.count()
    with pytest.raises(NotFound):
        actions.link_problem(esc, theirs, actor=world.actor(), now=world.now)
    with pytest.raises(NotFound):
        actions.assign_root_cause(esc, taxonomy["theirs"], actor=world.actor(), now=world.now)
    assert Event.objects.count() == before and not ProblemLink.objects.exists()


@pytest.mark.parametrize("role", ["compliance", "client_viewer"])
def test_read_only_roles_cannot_change_problems(world, problem, taxonomy, role):
    esc = world.escalation()
    with pytest.raises(PermissionDenied):
        actions.link_problem(esc, problem, actor=world.actor(role), now=world.now)
    with pytest.raises(PermissionDenied):
        actions.assign_root_cause(esc, taxonomy["network"], actor=world.actor(role), now=world.now)
    with pytest.raises(PermissionDenied):
        services.update_problem(problem, actor=world.actor(role), now=world.now, status="resolved")
    with pytest.raises(PermissionDenied):
        services.create_problem(world.tenant, actor=world.actor(role), now=world.now, title="x")


def test_capa_overdue_flag_and_completion(world, problem):
    actor = world.actor()
    due = world.now.date() + dt.timedelta(days=3)
    fix = services.add_action(problem, actor=actor, now=world.now, kind="corrective", title="Roll back firmware",
                              owner=world.users["specialist"], due_date=due)
    prevent = services.add_action(problem, actor=actor, now=world.now, kind="preventive", title="Canary releases",
                                  owner=world.users["manager"], due_date=due)
    assert not fix.is_overdue(due) and fix.is_overdue(due + dt.timedelta(days=1))
    fix = services.update_action(fix, actor=actor, now=world.now, status="done")
    assert fix.completed_at == world.now and not fix.is_overdue(due + dt.timedelta(days=30))
    assert list(services.overdue_actions(actor, due + dt.timedelta(days=1))) == [prevent]
    assert list(services.overdue_actions(Actor.for_user(world.other_user), due + dt.timedelta(days=1))) == []
    with pytest.raises(NotFound):
        services.add_action(problem, actor=actor, now=world.now, kind="corrective", title="x",
                            owner=world.other_user, due_date=due)


def test_resolving_a_problem_stamps_it_and_reopening_clears_it(world, problem):
    p = services.update_problem(problem, actor=world.actor(), now=world.now, status="known_error",
                                workaround="Disable auto-update")
    assert p.resolved_at is None and p.workaround == "Disable auto-update"
    p = services.update_problem(p, actor=world.actor(), now=world.now, status="resolved")
    assert p.resolved_at == world.now
    assert services.update_problem(p, actor=world.actor(), now=world.now, status="open").resolved_at is None


# == API ======================================================================================

def api(client, method, url, token, data=None):
    kw = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if method == "get":
        return client.get(url, **kw)
    return client.post(url, data=data or {}, content_type="application/json", **kw)


def test_api_problem_lifecycle(client, world, taxonomy):
    token = world.token("supervisor")
    created = api(client, "post", "/api/v1/problems", token, {"tenant": "ACME", "title": "Firmware reboots",
                                                              "root_cause": taxonomy["firmware"].pk})
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    assert created.json()["root_cause"]["path"] == "Network › Router firmware"
    esc = world.escalation()
    linked = api(client, "post", f"/api/v1/escalations/{esc.reference}/problems", token, {"problem": pid})
    assert linked.status_code == 200 and linked.json()["timeline"][-1]["type"] == "problem_linked"
    cause = api(client, "post", f"/api/v1/escalations/{esc.reference}/root-cause", token,
                {"root_cause": taxonomy["network"].pk})
    assert cause.status_code == 200 and cause.json()["timeline"][-1]["type"] == "root_cause_assigned"
    capa = api(client, "post", f"/api/v1/problems/{pid}/actions", token,
               {"kind": "preventive", "title": "Canary releases", "owner": world.users["manager"].pk,
                "due_date": "2026-01-01"})
    assert capa.status_code == 201 and capa.json()["overdue"] is True
    done = api(client, "post", f"/api/v1/problems/{pid}/actions/{capa.json()['id']}", token, {"status": "done"})
    assert done.json()["overdue"] is False
    patched = api(client, "post", f"/api/v1/problems/{pid}", token, {"status": "known_error"})
    assert patched.json()["status"] == "known_error"
    detail = api(client, "get", f"/api/v1/problems/{pid}", token).json()
    assert detail["escalations"] == [esc.reference] and len(detail["actions"]) == 1
    causes = api(client, "get", "/api/v1/problems/root-causes", token).json()
    assert sorted(c["path"] for c in causes) == ["Network", "Network › Router firmware"]


def test_api_attacker_side(client, world, taxonomy):
    theirs = services.create_problem(world.other_tenant, actor=Actor.for_user(world.other_user), now=world.now,
                                     title="Theirs")
    mine = services.create_problem(world.tenant, actor=world.actor(), now=world.now, title="Mine")
    esc = world.escalation()
    token = world.token("admin")
    for method, url, body in [
        ("get", f"/api/v1/problems/{theirs.pk}", None),
        ("post", f"/api/v1/problems/{theirs.pk}", {"status": "resolved"}),
        ("post", f"/api/v1/problems/{theirs.pk}/actions", {"kind": "corrective", "title": "t",
                                                           "owner": world.users["admin"].pk, "due_date": "2026-05-01"}),
        ("post", "/api/v1/problems", {"tenant": "GLOBEX", "title": "x"}),
        ("get", "/api/v1/problems/recurring?tenant=GLOBEX", None),
    ]:
        response = api(client, method, url, token, body)
        assert response.status_code == 404, (url, response.content)
    response = api(client, "post", f"/api/v1/escalations/{esc.reference}/problems", token, {"problem": theirs.pk})
    assert response.status_code == 404 and response.json()["error"]["fields"] == {"problem": "not found"}
    assert [p["reference"] for p in api(client, "get", "/api/v1/problems", token).json()] == [mine.reference]
    viewer = world.token("client_viewer")
    assert api(client, "post", f"/api/v1/problems/{mine.pk}", viewer, {"status": "resolved"}).status_code == 403
    assert api(client, "post", "/api/v1/problems", viewer, {"tenant": "ACME", "title": "x"}).status_code == 403
    assert api(client, "post", f"/api/v1/escalations/{esc.reference}/problems", world.token("compliance"),
               {"problem": mine.pk}).status_code == 403
    for url in ("/api/v1/problems", f"/api/v1/problems/{mine.pk}", "/api/v1/problems/recurring?tenant=ACME",
                "/api/v1/problems/root-causes"):
        assert api(client, "get", url, None).status_code == 401
    assert Problem.objects.get(pk=theirs.pk).status == "open"


def test_api_recurring_report(client, world, taxonomy):
    for n, (title, days) in enumerate([("Router keeps rebooting every hour", 0), ("Router reboots every hour", 8),
                                       ("Router rebooting, keeps dropping every hour", 9),
                                       ("Charged twice on the invoice", 1), ("Password reset never arrives", 2)]):
        world.escalation(title=title, now=world.now + dt.timedelta(days=days), type="technical" if n < 3 or n == 4 else "billing")
    response = api(client, "get", "/api/v1/problems/recurring?tenant=ACME&since=2026-02-01T00:00:00Z"
                   "&until=2026-04-01T00:00:00Z&period=week", world.token("client_viewer"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["escalations_considered"] == 5
    assert [(g["count"], g["type"], g["counts"]) for g in body["groups"]] == [(3, "technical", [1, 2])]
    assert body["periods"] == ["2026-03-02", "2026-03-09"]
    bad = api(client, "get", "/api/v1/problems/recurring?tenant=ACME&threshold=2", world.token())
    assert bad.status_code == 422


# == pages ====================================================================================

def test_pages_list_open_link_and_capa(client, world, taxonomy):
    esc = world.escalation()
    client.force_login(world.users["supervisor"])
    assert client.get(reverse("problems:list")).status_code == 200
    response = client.post(reverse("problems:list"), {"tenant": "ACME", "title": "Firmware reboots"})
    p = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("problems:detail", args=[p.pk])
    do = lambda what, data: client.post(reverse("problems:do", args=[p.pk, what]), data)  # noqa: E731
    assert do("link", {"reference": esc.reference}).status_code == 302
    assert do("update", {"status": "known_error", "root_cause": taxonomy["firmware"].pk,
                         "owner": world.users["specialist"].pk, "workaround": "Downgrade"}).status_code == 302
    assert do("capa", {"kind": "corrective", "title": "Roll back", "owner": world.users["specialist"].pk,
                       "due_date": "2026-01-05"}).status_code == 302
    assert do("capa", {"kind": "corrective", "title": "No date", "owner": world.users["specialist"].pk}).status_code == 422
    assert do("link", {"reference": "ACME-1999-000999"}).status_code == 404
    page = client.get(reverse("problems:detail", args=[p.pk])).content.decode()
    assert esc.reference in page and "Roll back" in page and "overdue" in page and "Network › Router firmware" in page
    esc_page = client.get(reverse("escalations:detail", args=[esc.reference])).content.decode()
    assert p.reference in esc_page and "Linked to problem" in esc_page


def test_root_cause_from_the_escalation_page(client, world, taxonomy):
    esc = world.escalation()
    client.force_login(world.users["agent"])
    page = client.get(reverse("escalations:detail", args=[esc.reference])).content.decode()
    assert "Set root cause" in page and "Network › Router firmware" in page
    url = reverse("problems:escalation-root-cause", args=[esc.reference])
    assert client.post(url, {"root_cause": taxonomy["firmware"].pk, "version": esc.version}).status_code == 302
    assert EscalationRootCause.objects.get(escalation=esc).root_cause == taxonomy["firmware"]
    client.post(url, {"root_cause": taxonomy["network"].pk, "version": esc.version})  # stale: refused
    assert EscalationRootCause.objects.get(escalation=esc).root_cause == taxonomy["firmware"]
    client.post(url, {"root_cause": taxonomy["theirs"].pk})
    assert EscalationRootCause.objects.get(escalation=esc).root_cause == taxonomy["firmware"]
    client.force_login(world.users["compliance"])
    assert "Set root cause" not in client.get(reverse("escalations:detail", args=[esc.reference])).content.decode()
    assert client.post(url, {"root_cause": ""}).status_code == 403
    client.force_login(world.other_user)
    assert client.post(url, {"root_cause": ""}).status_code == 404
    assert EscalationRootCause.objects.filter(escalation=esc).exists()


def test_pages_attacker_side(client, world):
    theirs = services.create_problem(world.other_tenant, actor=Actor.for_user(world.other_user), now=world.now,
                                     title="Theirs")
    mine = services.create_problem(world.tenant, actor=world.actor(), now=world.now, title="Mine")
    client.force_login(world.users["admin"])
    assert client.get(reverse("problems:detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("problems:do", args=[theirs.pk, "update"]), {"status": "resolved"}).status_code == 404
    assert "Theirs" not in client.get(reverse("problems:list")).content.decode()
    assert client.get(reverse("problems:recurring") + "?tenant=GLOBEX").status_code == 404
    client.force_login(world.users["client_viewer"])
    assert client.post(reverse("problems:do", args=[mine.pk, "update"]), {"status": "resolved"}).status_code == 403
    assert client.get(reverse("problems:recurring-csv") + "?tenant=ACME").status_code == 403
    assert "Open a problem" not in client.get(reverse("problems:list")).content.decode()
    client.logout()
    assert client.get(reverse("problems:list")).status_code == 302
    assert Problem.objects.get(pk=theirs.pk).status == "open"


def test_recurring_page_chart_and_csv(client, world):
    for title in ("Router keeps rebooting every hour", "Router reboots every hour", "Invoice charged twice"):
        world.escalation(title=title)
    client.force_login(world.users["manager"])
    query = "?tenant=ACME&since=2026-02-01&until=2026-04-01&period=month"
    page = client.get(reverse("problems:recurring") + query)
    assert page.status_code == 200 and "1 recurring group among 3 escalations" in page.content.decode()
    chart = client.get(reverse("problems:recurring-chart") + query)
    assert chart["Content-Type"] == "image/svg+xml" and chart.content.lstrip().startswith(b"<?xml")
    assert b"<script" not in chart.content and b"<svg" in chart.content
    rows = list(csv.reader(io.StringIO(client.get(reverse("problems:recurring-csv") + query).content.decode())))
    assert rows[0][:8] == ["group", "root_cause", "type", "label", "count", "first_seen", "last_seen", "2026-03-01"]
    assert len(rows) == 2 and rows[1][4] == "2" and rows[1][7] == "2" and "router" in rows[1][3]
    assert client.get(reverse("problems:recurring") + "?tenant=ACME&threshold=abc").status_code == 400


def test_admin_pages_load(client, world, taxonomy, problem):
    world.users["admin"].is_staff = world.users["admin"].is_superuser = True
    world.users["admin"].save()
    client.force_login(world.users["admin"])
    for name in ("problem", "rootcause", "correctiveaction"):
        assert client.get(reverse(f"admin:problems_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:problems_problem_change", args=[problem.pk])).status_code == 200
