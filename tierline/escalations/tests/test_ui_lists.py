"""The workspace lists as a desk uses them: sorting, search, the customer type-ahead, bulk work for
leads, and a navigation that offers nobody a link they may not open."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from tierline.escalations.models import Escalation
from tierline.tenancy.choices import Role
from tierline.testing.factories import CustomerFactory

URL = "/escalations/"


def refs(response) -> list[str]:
    return re.findall(r'<tr data-reference="([^"]+)"', response.content.decode())


@pytest.fixture
def sup(client, world):
    client.force_login(world.users["supervisor"])
    return client


def test_sortable_columns_both_ways_and_unknown_sorts_ignored(sup, world):
    a = world.escalation(title="Bravo", priority="P3")
    b = world.escalation(title="Alpha", priority="P1")
    c = world.escalation(title="Charlie", priority="P4")
    assert refs(sup.get(URL, {"view": "open", "sort": "title"})) == [b.reference, a.reference, c.reference]
    assert refs(sup.get(URL, {"view": "open", "sort": "-title"})) == [c.reference, a.reference, b.reference]
    assert refs(sup.get(URL, {"view": "open", "sort": "priority"})) == [b.reference, a.reference, c.reference]
    newest_first = [c.reference, b.reference, a.reference]
    assert refs(sup.get(URL, {"view": "open"})) == newest_first
    # Not in the whitelist (a field name, an injection attempt): the default order, no error.
    for bad in ("description", "tenant__code", "-id;drop", "owner__password"):
        r = sup.get(URL, {"view": "open", "sort": bad})
        assert r.status_code == 200 and refs(r) == newest_first
    html = sup.get(URL, {"view": "open", "sort": "title"}).content.decode()
    assert 'aria-sort="ascending"' in html and "sort=-title" in html  # clicking again flips it


def test_search_by_customer_name_account_external_id_and_reference(sup, world):
    acct = CustomerFactory(tenant=world.tenant, name="Orla Quinn", account_id="AC-5521")
    by_customer = world.escalation(title="No dial tone", customer=acct)
    by_ticket = world.escalation(title="Slow line", external_id="ZD-7781")
    world.escalation(title="Unrelated")
    assert refs(sup.get(URL, {"view": "open", "q": "orla"})) == [by_customer.reference]
    assert refs(sup.get(URL, {"view": "open", "q": "AC-5521"})) == [by_customer.reference]
    assert refs(sup.get(URL, {"view": "open", "q": "ZD-7781"})) == [by_ticket.reference]
    assert refs(sup.get(URL, {"view": "open", "q": by_ticket.reference})) == [by_ticket.reference]


def test_customer_typeahead_is_scoped_to_the_tenant(sup, world):
    for i in range(170):
        CustomerFactory(tenant=world.tenant, name=f"Customer {i:03d}")
    form = sup.get(reverse("escalations:create")).content.decode()
    assert "Customer 169" not in form and 'id="customer_q"' in form  # no 170-entry dropdown
    found = sup.get("/escalations/customers/", {"tenant": "ACME", "customer_q": "customer 16"}).content.decode()
    assert "Customer 160" in found and "Customer 169" in found and "Customer 170" not in found
    assert f'value="{world.customer.pk}"' not in found
    # Another tenant's customers never come back, whatever is asked.
    other = sup.get("/escalations/customers/", {"tenant": "ACME", "customer_q": "Gus"}).content.decode()
    assert "Gus Globex" not in other
    assert sup.get("/escalations/customers/", {"tenant": "GLOBEX", "customer_q": "Gus"}).status_code == 404
    # The picked radio posts with the create form.
    r = sup.post(reverse("escalations:create"), {
        "tenant": "ACME", "title": "Picked by type-ahead", "type": "technical", "priority": "P3",
        "channel": "phone", "team": world.teams["l1"].pk, "customer": str(world.vip.pk)})
    assert r.status_code == 302 and Escalation.objects.get(title="Picked by type-ahead").customer == world.vip


def _bulk(client, ids, **data):
    return client.post("/escalations/bulk/", {"ids": [str(i) for i in ids], "reason": "rebalancing", **data})


def test_bulk_reassign_and_acknowledge_record_the_reason(sup, world):
    cases = [world.escalation(title=f"Case {i}") for i in range(3)]
    target = world.users["agent"]
    r = _bulk(sup, [e.pk for e in cases], action="reassign", owner=str(target.pk))
    assert r.status_code == 302
    for esc in cases:
        assert Escalation.objects.get(pk=esc.pk).owner == target
        timeline = sup.get(f"/escalations/{esc.reference}/").content.decode()
        assert f"Bulk reassign to {target} — reason: rebalancing" in timeline
        assert "Assigned to" in timeline
    r = _bulk(sup, [e.pk for e in cases], action="acknowledge")
    assert r.status_code == 302
    assert {Escalation.objects.get(pk=e.pk).status for e in cases} == {"acknowledged"}
    # A second acknowledge is refused per case, reported, and changes nothing.
    r = sup.post("/escalations/bulk/", {"ids": [str(cases[0].pk)], "reason": "again", "action": "acknowledge"},
                 follow=True)
    assert f"1 not acknowledged: {cases[0].reference}" in r.content.decode()
    assert Escalation.objects.get(pk=cases[0].pk).status == "acknowledged"


@pytest.mark.parametrize("role", ["agent", "specialist", "compliance", "client_viewer"])
def test_bulk_is_refused_to_lower_roles(client, world, role):
    esc = world.escalation()
    client.force_login(world.users[role])
    assert "bulk-form" not in client.get(URL, {"view": "open"}).content.decode()
    r = _bulk(client, [esc.pk], action="reassign", owner=str(world.users[role].pk))
    assert r.status_code == 403
    assert Escalation.objects.get(pk=esc.pk).owner_id is None


def test_bulk_refuses_another_tenants_ids_and_changes_nothing(sup, world):
    own, other = world.escalation(), world.other_escalation()
    r = _bulk(sup, [own.pk, other.pk], action="reassign", owner=str(world.users["agent"].pk))
    assert r.status_code == 404
    assert Escalation.objects.get(pk=own.pk).owner_id is None
    assert Escalation.objects.get(pk=other.pk).owner_id is None
    # Nor can the new owner be someone of another tenant.
    r = _bulk(sup, [own.pk], action="reassign", owner=str(world.other_user.pk))
    assert r.status_code == 400 and Escalation.objects.get(pk=own.pk).owner_id is None


@pytest.mark.parametrize("role", list(Role.values))
def test_no_navigation_link_answers_403(world, role):
    client = Client()
    client.force_login(world.users[role])
    home = client.get("/", follow=True)
    assert home.status_code == 200
    html = home.content.decode()
    nav = html[html.index('<header class="topbar">'):html.index("</header>")]
    links = set(re.findall(r'href="(/[^"]*)"', nav))
    assert links, "the navigation has links"
    for link in sorted(links):
        answer = client.get(link.replace("&amp;", "&"), follow=True)
        assert answer.status_code != 403, f"{role} is offered {link}, which answers 403"
        assert answer.status_code == 200, (role, link, answer.status_code)


class _Inputs(HTMLParser):
    """Every form control on a page, and whether something names it for a screen reader."""

    def __init__(self):
        super().__init__()
        self.controls, self.label_for, self.open_labels = [], set(), 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.controls.append((a.get("name"), a.get("id"), bool(a.get("aria-label")) or self.open_labels > 0))

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_every_input_on_the_staff_pages_is_labelled(client, world, role):
    esc = world.escalation(owner=world.users["agent"])
    client.force_login(world.users[role])
    for url in ("/escalations/?view=open", f"/escalations/{esc.reference}/", "/escalations/new/"):
        page = _Inputs()
        page.feed(client.get(url).content.decode())
        assert page.controls, url
        unlabelled = [(name, i) for name, i, named in page.controls if not named and i not in page.label_for]
        assert not unlabelled, f"{url}: {unlabelled}"
    html = client.get("/escalations/").content.decode()
    assert html.index('class="skip-link" href="#main"') < html.index('<header class="topbar">')
    assert 'id="main"' in html
