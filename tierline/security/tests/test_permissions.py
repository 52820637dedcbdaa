"""docs/permissions.md is the table, and every cell of the table holds through a real API call:
a role with the permission gets 2xx, a role without it gets 403 (and nothing is written)."""

from pathlib import Path

import pytest
from django.core.management import call_command

from tierline import actions
from tierline.accounts.permissions import ROLE_PERMISSIONS, Perm
from tierline.audit.models import Event
from tierline.routing.tests.test_intake import MATRIX
from tierline.security.permissions_doc import HEADINGS, markdown
from tierline.tenancy.choices import Role

DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
ISSUE_PERMISSIONS = {"view", "create", "escalate", "assign", "resolve", "approve compensation",
                     "edit configuration", "read audit trail", "export"}
# finer permissions enforced as well: the write path's, the outbox page's, the reports'
REFINEMENTS = {"work", "change priority", "manage outbox", "reports"}


def test_docs_permissions_md_is_the_generated_table(capsys):
    call_command("permissions", "--markdown")
    generated = capsys.readouterr().out
    assert generated == markdown()
    assert DOC.read_text() == generated, "run `tierline permissions --markdown > docs/permissions.md`"


def test_table_covers_exactly_the_roles_and_permissions():
    assert set(ROLE_PERMISSIONS) == set(Role.values)
    assert set(HEADINGS) == set(Perm)
    assert set(HEADINGS.values()) == ISSUE_PERMISSIONS | REFINEMENTS


API = "/api/v1"


def _prepare(client, world, perm, role):
    """Set up, then return the one API call that exercises `perm` as `role`."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token(role)}"}
    esc = world.escalation("admin")
    ref = f"{API}/escalations/{esc.reference}"

    def post(url, body):
        return lambda: client.post(url, body, content_type="application/json", **auth)

    def get(url):
        return lambda: client.get(url, **auth)

    if perm is Perm.VIEW:
        return get(ref)
    if perm is Perm.CREATE:
        return post(f"{API}/escalations", {"tenant": "ACME", "title": "Router keeps rebooting", "type": "technical",
                                            "priority": "P2", "channel": "phone", "team": world.teams["l1"].pk,
                                            "customer": world.customer.pk})
    if perm is Perm.WORK:
        return post(f"{ref}/notes", {"body": "checked the line"})
    if perm is Perm.ESCALATE:
        return post(f"{ref}/escalate", {"reason": "needs L2", "trigger": "hierarchical"})
    if perm is Perm.ASSIGN:
        return post(f"{ref}/assign", {"owner": world.users["agent"].pk})
    if perm is Perm.RESOLVE:
        actions.acknowledge(esc, actor=world.actor("admin"), now=world.now)
        return post(f"{ref}/resolve", {"summary": "fixed the router", "resolution_code": "fixed"})
    if perm is Perm.CHANGE_PRIORITY:
        return post(f"{ref}/priority", {"priority": "P1"})
    if perm is Perm.APPROVE_COMPENSATION:
        _, approval = actions.request_approval(esc, actor=world.actor("admin"), now=world.now, kind="compensation",
                                            reason="outage credit", amount=25, currency="EUR")
        return post(f"{ref}/approvals-approve", {"approval": approval.pk})
    if perm is Perm.CONFIGURE:
        return post(f"{API}/routing/tenants/ACME/matrix/drafts", {"yaml": MATRIX, "note": "n"})
    if perm is Perm.READ_AUDIT:
        return get(f"{API}/compliance/escalations/{esc.reference}/audit-trail")
    if perm is Perm.EXPORT:
        return get(f"{API}/compliance/tenants/ACME/export.csv")
    if perm is Perm.REPORTS:
        return get(f"{API}/reports/tenants/ACME/kpis?start=2026-02-01&end=2026-03-01")
    if perm is Perm.MANAGE_OUTBOX:
        # No API operation needs it: the failed-deliveries page is where it is enforced.
        client.force_login(world.users[role])
        page = lambda: client.get("/notifications/outbox/")  # noqa: E731
        page.is_page = True
        return page
    raise AssertionError(f"no call exercises {perm}: add one")


CELLS = [pytest.param(role, perm, id=f"{role}-{perm.value}") for role in Role.values for perm in Perm]


@pytest.mark.parametrize("role, perm", CELLS)
def test_permission_cell(client, world, role, perm):
    allowed = perm in ROLE_PERMISSIONS[role]
    call = _prepare(client, world, perm, role)
    before = Event.objects.count()
    response = call()
    if allowed:
        assert 200 <= response.status_code < 300, (response.status_code, response.content[:300])
    else:
        assert response.status_code == 403, (response.status_code, response.content[:300])
        if not getattr(call, "is_page", False):
            assert response.json()["error"]["code"] == "forbidden"
        assert Event.objects.count() == before  # a refusal writes nothing
