"""The context built from real escalations, and every built-in template rendered for one."""

import datetime as dt
import json

import pytest

from tierline import actions
from tierline.sla.models import Calendar, SlaPolicy
from tierline.templating.choices import Kind
from tierline.templating.context import build_context
from tierline.templating.defaults import BUILTIN
from tierline.templating.render import FIELDS, check_template
from tierline.templating.schema import OBJECTS, SCALARS
from tierline.templating.selection import render_for
from tierline.testing.factories import CustomerFactory

H = dt.timedelta(hours=1)


def with_policy(world):
    cal = Calendar.objects.create(tenant=world.tenant, name="24x7", spec={"timezone": "UTC", "always_open": True})
    SlaPolicy.objects.create(tenant=world.tenant, name="Standard", calendar=cal, first_response=H,
                             resolution=4 * H, warnings=[75], steps=[], pause_statuses=["pending_customer"])


def worked(world, esc):
    """Acknowledged, owned, with a public reply and an internal note: every field has something."""
    actor = world.actor("supervisor")
    esc = actions.acknowledge(esc, actor=actor, now=world.now + 0.1 * H)
    esc = actions.assign(esc, world.users["specialist"], actor=actor, now=world.now + 0.2 * H)
    esc = actions.add_public_reply(esc, "We are replacing the router.\nExpect a call.", actor=actor,
                                   now=world.now + 0.3 * H)
    return actions.add_internal_note(esc, "INTERNAL: customer is difficult", actor=actor,
                                     now=world.now + 0.4 * H)


def test_builtin_defaults_cover_every_kind_and_pass_the_static_check():
    assert set(BUILTIN) == set(Kind.values)
    for kind, template in BUILTIN.items():
        for field, source in zip(FIELDS, template, strict=True):
            assert check_template(source, field=field) == [], (kind, field)


def test_context_exposes_exactly_the_documented_fields(world):
    with_policy(world)
    esc = worked(world, world.escalation(description="SECRET intake notes", custom_fields={}))
    context = build_context(esc, now=world.now + H, status_link="https://status.example.test/s/abc")
    assert set(context) == set(OBJECTS) | set(SCALARS)
    assert {obj: set(context[obj]) for obj in OBJECTS} == {obj: set(f) for obj, f in OBJECTS.items()}
    flat = json.dumps(context)
    assert "SECRET" not in flat and "INTERNAL" not in flat and "@" not in flat  # no description, notes, e-mails
    e = context["escalation"]
    assert e["reference"] == esc.reference and e["status"] == "Acknowledged" and e["status_code"] == "acknowledged"
    assert e["priority"] == "P3 medium" and e["type"] == "Technical" and e["team"] == "Frontline care"
    assert e["created_at"] == "2026-03-02 09:30 UTC" and e["level"] == 1
    assert e["latest_public_reply"] == "We are replacing the router.\nExpect a call."
    user = world.users["specialist"]
    assert context["owner"] == {"name": f"{user.first_name} {user.last_name}".strip(), "first_name": user.first_name}
    assert context["customer"] == {"name": "Dana Customer", "first_name": "Dana", "language": "en"}
    assert context["tenant"] == {"name": "Acme Telecom"}
    assert context["sla"]["resolution"].startswith("due ") and "left" in context["sla"]["resolution"]
    assert context["sla"]["first_response"].startswith("met ")
    assert context["sla"]["next_deadline"].endswith(" UTC")
    assert context["status_page_url"] == "https://status.example.test/s/abc"
    assert context["now"] == "2026-03-02 10:30 UTC"


def test_context_without_customer_owner_or_policy(world):
    esc = world.escalation(customer=None)
    context = build_context(esc, now=world.now)
    assert context["customer"] == {"name": "", "first_name": "", "language": "en"}
    assert context["owner"] == {"name": "", "first_name": ""}
    assert set(context["sla"].values()) == {""} and context["status_page_url"] == ""


def test_context_uses_the_tenant_time_zone(world):
    world.tenant.time_zone = "Europe/Paris"
    world.tenant.save()
    context = build_context(world.escalation(), now=world.now)
    assert context["escalation"]["created_at"] == "2026-03-02 10:30 CET"


@pytest.mark.parametrize("kind", Kind.values)
def test_every_default_renders_for_a_real_escalation(world, kind):
    with_policy(world)
    esc = worked(world, world.escalation())
    if kind in ("resolved", "satisfaction_survey"):
        esc = actions.resolve(esc, actor=world.actor("supervisor"), now=world.now + 2 * H,
                              summary="Router replaced; line stable for 24 h.", resolution_code="fixed")
    rendered = render_for(esc, kind, now=world.now + 3 * H, status_link="https://status.example.test/s/abc")
    assert rendered.source == "builtin:en"
    assert esc.reference in rendered.subject and "\n" not in rendered.subject
    for body in (rendered.text, rendered.html):
        assert esc.reference in body and "Hello Dana" in body and "Acme Telecom" in body
        assert "{{" not in body and "{%" not in body
    assert rendered.html.lstrip().startswith("<div") and "<p>" in rendered.html
    if kind == "resolved":
        assert "Router replaced; line stable for 24 h." in rendered.text
    if kind == "status_update":
        assert "We are replacing the router.<br>\nExpect a call." in rendered.html
        assert "Resolution target: due " in rendered.text


@pytest.mark.parametrize("kind", Kind.values)
def test_defaults_render_for_a_bare_escalation(world, kind):
    rendered = render_for(world.escalation(customer=None), kind, now=world.now)
    assert "Hello there" in rendered.text and "None" not in rendered.text


def test_customer_name_is_escaped_in_html(world):
    customer = CustomerFactory(tenant=world.tenant, name="<script>alert(1)</script> Smith")
    rendered = render_for(world.escalation(customer=customer), "acknowledgement", now=world.now)
    assert "<script>" not in rendered.html
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;,</p>" in rendered.html
    assert "Hello <script>alert(1)</script>," in rendered.text  # plain text: shown as typed, not escaped
