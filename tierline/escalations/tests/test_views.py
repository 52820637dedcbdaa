"""The web UI, through Django's test client: lists, create, detail, actions, scoping, roles."""

import re

import pytest
from django.urls import reverse

from tierline.audit.models import Event
from tierline.escalations.models import Escalation

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sup(client, world):
    client.force_login(world.users["supervisor"])
    return client


def list_refs(response) -> list[str]:
    return re.findall(r'data-reference="([A-Z0-9-]+)"', response.content.decode())


def event_types(response) -> list[str]:
    return re.findall(r'data-event-type="([a-z_]+)"', response.content.decode())


def action_url(esc, name):
    return reverse("escalations:action", args=[esc.reference, name])


def detail_url(esc):
    return reverse("escalations:detail", args=[esc.reference])


def fresh(esc):
    return Escalation.objects.get(pk=esc.pk)


# -- lists -----------------------------------------------------------------------------------
def test_list_tabs_show_the_right_rows_and_never_another_tenants(sup, world):
    mine = world.escalation(title="Mine", owner=world.users["supervisor"])
    team_unowned = world.escalation(title="Team queue")  # at L1, where the supervisor is a member
    elsewhere = world.escalation(title="At L2", team=world.teams["l2"])
    other = world.other_escalation()

    url = reverse("escalations:list")
    assert list_refs(sup.get(url)) == [mine.reference]  # default tab: mine
    assert set(list_refs(sup.get(url, {"view": "team"}))) == {mine.reference, team_unowned.reference}
    assert set(list_refs(sup.get(url, {"view": "open"}))) == {mine.reference, team_unowned.reference,
                                                              elsewhere.reference}
    for view in ("mine", "team", "open"):
        body = sup.get(url, {"view": view, "status": "all"}).content.decode()
        assert other.reference not in body and "Other tenant" not in body


def test_mine_is_empty_with_a_hint(sup, world):
    world.escalation()
    response = sup.get(reverse("escalations:list"))
    assert response.status_code == 200
    assert list_refs(response) == []
    assert "Nothing open is assigned to you" in response.content.decode()


def test_filters_and_htmx_partial(sup, world):
    p1 = world.escalation(title="Network outage downtown", priority="P1", type="technical")
    world.escalation(title="Invoice wrong", priority="P4", type="billing", team=world.teams["billing"])
    url = reverse("escalations:list")

    assert list_refs(sup.get(url, {"view": "open", "priority": "P1"})) == [p1.reference]
    assert list_refs(sup.get(url, {"view": "open", "q": "outage"})) == [p1.reference]
    assert list_refs(sup.get(url, {"view": "open", "level": "2"})) != [p1.reference]
    assert list_refs(sup.get(url, {"view": "open", "team": world.teams["l1"].pk})) == [p1.reference]
    assert list_refs(sup.get(url, {"view": "open", "q": p1.reference})) == [p1.reference]

    partial = sup.get(url, {"view": "open", "type": "technical"}, **HTMX)
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="results"')  # the fragment, not the page
    assert "<html" not in body and list_refs(partial) == [p1.reference]


def test_status_filter_and_bad_values_do_not_break_the_list(sup, world):
    esc = world.escalation()
    world.escalation(title="Second")
    url = reverse("escalations:list")
    assert list_refs(sup.get(url, {"view": "open", "status": "resolved"})) == []
    assert len(list_refs(sup.get(url, {"view": "open", "status": "new"}))) == 2
    response = sup.get(url, {"view": "open", "priority": "P9", "cursor": "garbage"})
    assert response.status_code == 200
    assert esc.reference in list_refs(response)


def test_numbered_pages_with_totals(sup, world, monkeypatch):
    from tierline.escalations import views_lists

    monkeypatch.setattr(views_lists, "PAGE_SIZE", 2)
    refs = [world.escalation(title=f"E{i}").reference for i in range(5)]
    url = reverse("escalations:list")
    first = sup.get(url, {"view": "open"})
    html = first.content.decode()
    assert list_refs(first) == refs[::-1][:2] and "1–2 of 5" in html
    assert 'aria-current="page">1<' in html and ">3</a>" in html
    next_link = re.search(r'rel="next" href="\?([^"]+)"', html).group(1).replace("&amp;", "&")
    second = sup.get(f"{url}?{next_link}")
    assert list_refs(second) == refs[::-1][2:4] and "3–4 of 5" in second.content.decode()
    last = sup.get(url, {"view": "open", "page": "3"})
    assert list_refs(last) == refs[:1] and "5–5 of 5" in last.content.decode()
    # A page past the end or not a number shows the nearest real page, never an error.
    assert list_refs(sup.get(url, {"view": "open", "page": "99"})) == refs[:1]
    assert list_refs(sup.get(url, {"view": "open", "page": "x"})) == refs[::-1][:2]


# -- create ----------------------------------------------------------------------------------
def create_data(world, **kw):
    data = {"tenant": "ACME", "title": "Router keeps rebooting", "description": "Since Monday.",
            "type": "technical", "priority": "P2", "channel": "chat", "trigger": "hierarchical",
            "team": world.teams["l1"].pk, "customer": world.customer.pk, "customer_account": "",
            "external_id": "ZD-991", "tags": "outage, Router"}
    data.update(kw)
    return data


def test_create_form_renders_and_post_creates_and_redirects(sup, world):
    page = sup.get(reverse("escalations:create"))
    assert page.status_code == 200 and 'name="title"' in page.content.decode()
    response = sup.post(reverse("escalations:create"), create_data(world))
    esc = Escalation.objects.get(title="Router keeps rebooting")
    assert response.status_code == 302 and response["Location"] == detail_url(esc)
    assert (esc.tenant, esc.team, esc.customer, esc.priority, esc.channel) == (
        world.tenant, world.teams["l1"], world.customer, "P2", "chat")
    assert esc.tags == ["outage", "router"] and esc.external_id == "ZD-991"
    assert event_types(sup.get(detail_url(esc))) == ["created"]


def test_create_by_customer_account_id(sup, world):
    sup.post(reverse("escalations:create"), create_data(world, customer="", customer_account=world.vip.account_id))
    assert Escalation.objects.get().customer == world.vip


def test_create_refuses_another_tenants_team_and_customer(sup, world):
    url = reverse("escalations:create")
    for bad in ({"team": world.other_team.pk}, {"customer": world.other_customer.pk},
                {"customer": "", "customer_account": world.other_customer.account_id}, {"tenant": "GLOBEX"}):
        response = sup.post(url, create_data(world, **bad))
        assert response.status_code == 200, bad
        assert "field-error" in response.content.decode(), bad
    assert not Escalation.objects.exists()


def test_create_shows_domain_errors_on_the_form(sup, world):
    response = sup.post(reverse("escalations:create"), create_data(world, tags="bad tag!"))
    body = response.content.decode()
    assert response.status_code == 200 and "bad tag" in body and "flash-error" in body
    assert not Escalation.objects.exists()


# -- detail and actions ----------------------------------------------------------------------
def test_detail_shows_header_timeline_and_forms(sup, world):
    esc = world.escalation(external_id="ZD-1", tags=["vip"])
    body = sup.get(detail_url(esc)).content.decode()
    for text in (esc.reference, esc.title, "Frontline care", "Dana Customer", "ZD-1", "vip",
                 'data-event-type="created"', f'name="version" value="{esc.version}"'):
        assert text in body, text
    assert 'data-action="acknowledge"' in body and 'data-action="escalate"' in body
    assert 'data-action="close"' not in body  # not a legal move from "new"


def test_acknowledge_escalate_note_resolve_through_the_ui(sup, world):
    esc = world.escalation()
    r = sup.post(action_url(esc, "acknowledge"), {"version": 1})
    assert r.status_code == 302 and r["Location"] == detail_url(esc)
    esc = fresh(esc)
    assert esc.status == "acknowledged" and esc.owner == world.users["supervisor"]

    r = sup.post(action_url(esc, "escalate"), {"version": esc.version, "reason": "Needs line test",
                                               "trigger": "hierarchical", "team": ""}, **HTMX)
    assert r.status_code == 200 and 'id="escalation"' in r.content.decode()
    esc = fresh(esc)
    assert esc.team == world.teams["l2"] and esc.level == 2
    body = r.content.decode()
    assert "Escalated from Frontline care (L1) to Technical support L2 (L2)" in body
    assert "reason: Needs line test" in body

    sup.post(action_url(esc, "start"), {"version": esc.version})
    esc = fresh(esc)
    sup.post(action_url(esc, "note"), {"version": esc.version, "body": "Called the customer back."})
    esc = fresh(esc)
    r = sup.post(action_url(esc, "resolve"), {
        "version": esc.version, "summary": "Replaced the router", "resolution_code": "fixed",
        "root_cause_category": "product_defect", "compensation_amount": "15.00", "compensation_currency": "eur"})
    assert r.status_code == 302
    esc = fresh(esc)
    assert esc.status == "resolved" and str(esc.compensation_amount) == "15.00"
    assert esc.compensation_currency == "EUR"

    page = sup.get(detail_url(esc))
    assert event_types(page) == ["created", "acknowledged", "escalated", "status_changed", "internal_note",
                                 "resolved"]
    body = page.content.decode()
    assert "Called the customer back." in body and "Replaced the router" in body and "Product defect" in body
    assert 'data-action="close"' in body and 'data-panel="reopen"' in body


def test_other_actions_route_to_the_write_path(sup, world):
    esc = world.escalation()
    dup = world.escalation(title="Same problem")
    steps = [
        ("priority", {"priority": "P1", "reason": "outage"}),
        ("assign", {"owner": world.users["agent"].pk}),
        ("unassign", {}),
        ("tags", {"add": "outage, north"}),
        ("tags", {"remove": "north"}),
        ("watch", {}),
        ("link", {"target": dup.reference, "kind": "related_to"}),
        ("acknowledge", {}),
        ("pending", {"waiting_on": "customer", "reason": "awaiting logs"}),
        ("resume", {}),
        ("reply", {"body": "We are on it."}),
        ("unwatch", {}),
    ]
    for name, data in steps:
        r = sup.post(action_url(esc, name), {"version": fresh(esc).version, **data}, **HTMX)
        assert r.status_code == 200 and "flash-error" not in r.content.decode(), (name, r.content.decode()[:500])
    esc = fresh(esc)
    assert (esc.priority, esc.tags, esc.status) == ("P1", ["outage"], "in_progress")
    r = sup.post(action_url(dup, "merge"), {"version": fresh(dup).version, "into": esc.reference})
    assert r.status_code == 302 and fresh(dup).merged_into == esc
    r = sup.post(action_url(esc, "cancel"), {"version": fresh(esc).version, "reason": "customer withdrew"})
    assert fresh(esc).status == "cancelled"


def test_stale_version_shows_conflict_and_writes_nothing(sup, world):
    esc = world.escalation()
    before = Event.objects.count()
    for extra in ({}, HTMX):
        r = sup.post(action_url(esc, "note"), {"version": esc.version + 5, "body": "late"}, **extra)
        assert r.status_code == 412
        assert "changed since you loaded it" in r.content.decode() and "reload" in r.content.decode()
    r = sup.post(action_url(esc, "link"), {"version": 99, "target": world.escalation().reference,
                                           "kind": "related_to"})
    assert r.status_code == 412
    assert Event.objects.count() == before + 1  # only the second escalation's "created"
    assert fresh(esc).version == esc.version


def test_domain_errors_are_shown_in_the_partial(sup, world):
    esc = world.escalation()
    r = sup.post(action_url(esc, "escalate"), {"version": esc.version, "reason": "", "trigger": "hierarchical"},
                 **HTMX)
    assert r.status_code == 422 and "flash-error" in r.content.decode()
    r = sup.post(action_url(esc, "close"), {"version": esc.version}, **HTMX)
    assert r.status_code == 409 and "cannot close" in r.content.decode()
    r = sup.post(action_url(esc, "link"), {"version": esc.version, "target": "NOPE-2026-000001", "kind": "related_to"})
    assert r.status_code == 404 and "NOPE-2026-000001" in r.content.decode()
    assert fresh(esc).version == esc.version


def test_cross_tenant_ids_in_action_forms_are_refused(sup, world):
    esc = world.escalation()
    other = world.other_escalation()
    r = sup.post(action_url(esc, "escalate"), {"version": esc.version, "reason": "x", "trigger": "functional",
                                               "team": world.other_team.pk})
    assert r.status_code == 422
    r = sup.post(action_url(esc, "assign"), {"version": esc.version, "owner": world.other_user.pk})
    assert r.status_code == 422
    r = sup.post(action_url(esc, "link"), {"version": esc.version, "target": other.reference, "kind": "related_to"})
    assert r.status_code == 404
    assert fresh(esc).version == esc.version


def test_another_tenants_reference_is_404(sup, world):
    other = world.other_escalation()
    assert sup.get(detail_url(other)).status_code == 404
    assert sup.post(action_url(other, "acknowledge"), {"version": 1}).status_code == 404
    assert fresh(other).status == "new"


def test_unknown_action_is_404_and_get_is_refused(sup, world):
    esc = world.escalation()
    assert sup.post(action_url(esc, "explode"), {"version": 1}).status_code == 404
    assert sup.get(action_url(esc, "acknowledge")).status_code == 405


def test_anonymous_is_sent_to_login(client, world):
    esc = world.escalation()
    for url in (reverse("escalations:list"), reverse("escalations:create"), detail_url(esc)):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith(reverse("login"))
    r = client.post(action_url(esc, "acknowledge"), {"version": 1})
    assert r.status_code == 302 and fresh(esc).status == "new"


def test_login_page_and_logout(client, world):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and 'name="username"' in page.content.decode()
    r = client.post(reverse("login"), {"username": "supervisor", "password": "correct-horse-battery"})
    assert r.status_code == 302
    assert client.get(reverse("escalations:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("escalations:list")).status_code == 302


def test_client_viewer_reads_but_gets_no_forms_and_posts_are_refused(client, world):
    esc = world.escalation()
    client.force_login(world.users["client_viewer"])
    body = client.get(detail_url(esc)).content.decode()
    assert esc.title in body and 'data-event-type="created"' in body
    assert "<form" not in body.split('id="escalation"', 1)[1]
    assert "does not allow changing it" in body
    for name, data in (("acknowledge", {}), ("note", {"body": "hi"}), ("escalate", {"reason": ""})):
        r = client.post(action_url(esc, name), {"version": esc.version, **data})
        assert r.status_code == 403, name
    assert fresh(esc).version == esc.version
    assert client.get(reverse("escalations:create")).status_code == 403


def test_agent_does_not_see_forms_its_role_cannot_use(client, world):
    esc = world.escalation()
    client.force_login(world.users["agent"])
    body = client.get(detail_url(esc)).content.decode()
    assert 'data-panel="escalate"' in body
    assert 'data-panel="priority"' not in body  # agents may not change priority
    r = client.post(action_url(esc, "priority"), {"version": esc.version, "priority": "P1"})
    assert r.status_code == 403 and fresh(esc).priority == "P3"


def test_detail_page_query_count_is_bounded(sup, world, django_assert_max_num_queries):
    esc = world.escalation()
    for i in range(10):
        from tierline import actions

        actions.add_internal_note(esc, f"note {i}", actor=world.actor(), now=world.now)
    # 16 for the page itself, +1 the access-log insert, +1 the problem card's links and +1 its root causes,
    # +8 the escalate panel's plan (matrix, SLA policy, the receiving team's roster and load, its owner),
    # +1 the learned-routing model the guidance panel asks for a suggestion, +1 the navigation's
    # "may configure" check.
    with django_assert_max_num_queries(29):
        sup.get(detail_url(esc))


def test_user_with_two_clients_picks_the_client_and_its_teams(client, world):
    from tierline.testing.factories import MembershipFactory

    user = world.users["supervisor"]
    MembershipFactory(tenant=world.other_tenant, user=user, role="agent")
    own, other = world.escalation(), world.other_escalation()
    client.force_login(user)

    url = reverse("escalations:list")
    assert set(list_refs(client.get(url, {"view": "open"}))) == {own.reference, other.reference}
    assert list_refs(client.get(url, {"view": "open", "tenant": "GLOBEX"})) == [other.reference]

    page = client.get(reverse("escalations:create"), {"tenant": "GLOBEX"}).content.decode()
    assert 'name="tenant"' in page and "Globex care" in page and "Frontline care" not in page
    # ACME's team with GLOBEX as the client: refused, nothing written.
    r = client.post(reverse("escalations:create"), create_data(world, tenant="GLOBEX", customer=""))
    assert r.status_code == 200 and "field-error" in r.content.decode()
    r = client.post(reverse("escalations:create"), create_data(world, tenant="GLOBEX", team=world.other_team.pk,
                                                               customer=world.other_customer.pk))
    assert r.status_code == 302
    assert Escalation.objects.filter(tenant=world.other_tenant).count() == 2


def test_list_query_count_does_not_grow_with_rows(sup, world, django_assert_max_num_queries):
    for i in range(12):
        world.escalation(title=f"E{i}", owner=world.users["supervisor"])
    # +1 the page total ("1–12 of 12"), +1 the bulk toolbar's owner choices (a supervisor's).
    with django_assert_max_num_queries(14):
        response = sup.get(reverse("escalations:list"), {"view": "open"})
    assert len(list_refs(response)) == 12


def test_stylesheet_and_htmx_are_served_from_static():
    # No CDN: both files must be found by staticfiles (and so by collectstatic in production).
    from django.contrib.staticfiles import finders

    assert finders.find("django_htmx/htmx-2.min.js")
    assert finders.find("tierline/tierline.css"), "add STATICFILES_DIRS = [BASE_DIR / 'static'] to settings"


def test_admin_lists_everything_and_keeps_the_log_read_only(admin_client, world):
    from django.contrib import admin

    esc = world.escalation()
    world.token()
    for model in admin.site._registry:
        meta = model._meta
        response = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert response.status_code == 200, meta.label
    event = Event.objects.get(escalation=esc)
    assert admin_client.get(reverse("admin:escalations_escalation_add")).status_code == 403
    assert admin_client.get(reverse("admin:audit_event_change", args=[event.pk])).status_code == 200
    r = admin_client.post(reverse("admin:escalations_escalation_change", args=[esc.pk]), {"title": "hacked"})
    assert r.status_code == 403 and fresh(esc).title == esc.title
    assert admin_client.get(reverse("admin:escalations_escalation_delete", args=[esc.pk])).status_code == 403
    changelist = admin_client.get(reverse("admin:audit_event_changelist")).content.decode()
    assert "created" in changelist and esc.reference in changelist
    assert admin_client.get(reverse("admin:tenancy_team_change", args=[world.teams["l1"].pk])).status_code == 200
