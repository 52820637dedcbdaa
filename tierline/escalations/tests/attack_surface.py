"""Escalation pages and API operations for the attacker's-side suite (tierline/testing/attack.py)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tierline import actions
from tierline.accounts.permissions import Perm
from tierline.core.actors import Actor
from tierline.escalations.models import Attachment, Escalation
from tierline.testing.attack import Operation, Page

E = "/api/v1/escalations/{reference}"


def _esc(world, own):
    return world.escalation("admin") if own else world.other_escalation()


def ref_url(suffix=""):
    return lambda world, own: f"/escalations/{_esc(world, own).reference}/{suffix}"


def _op(name, perm, body=None, method="post", setup=None):
    """An escalation action endpoint: {reference} is this tenant's or another's fresh escalation."""

    def prepare(world, own):
        esc = _esc(world, own)
        extra = setup(world, esc) if setup and own else {}
        payload = body(world, extra) if callable(body) else (body if body is not None else {})
        return {"reference": esc.reference}, payload

    return Operation(method, f"{E}/{name}", perm, prepare)


def _version(url):
    reference = url.split("/")[2]
    return str(Escalation.objects.get(reference=reference).version)


def _collaborating(world, esc):
    actions.add_collaborator(esc, team=world.teams["billing"], reason="r", actor=world.actor("admin"), now=world.now)
    return {}


def _approval(world, esc):
    _, approval = actions.request_approval(esc, actor=world.actor("admin"), now=world.now, kind="compensation",
                                           reason="credit", amount=10, currency="EUR")
    return {"approval": approval.pk}


def _requested(world, own) -> int:
    """An approval someone else asked for (nobody decides their own), in this or another tenant."""
    esc = _esc(world, own)
    actor = world.actor("agent") if own else Actor.for_user(world.other_user)
    _, approval = actions.request_approval(esc, actor=actor, now=world.now, kind="policy_exception", reason="r")
    return approval.pk


def _attachment(world, own):
    esc = _esc(world, own)
    actor = world.actor("admin") if own else Actor.for_user(world.other_user)
    actions.add_attachment(esc, filename="a.txt", content=b"hello", content_type="text/plain", actor=actor,
                           now=world.now)
    att = Attachment.objects.filter(escalation=esc).latest("pk")
    return {"reference": esc.reference, "attachment_id": att.pk}, None


def _create(world, own):
    body = {"tenant": "ACME" if own else "GLOBEX", "title": "Router", "type": "technical", "priority": "P2",
            "channel": "phone"}
    if own:
        body.update(team=world.teams["l1"].pk, customer=world.customer.pk)
    else:
        body.update(team=world.other_team.pk, customer=world.other_customer.pk)
    return {}, body


ENTRIES = [
    # pages
    Page("", cross_tenant=False, url=lambda w, own: "/", ok=(302,)),
    Page("escalations/", cross_tenant=False, url=lambda w, own: "/escalations/?view=open"),
    Page("escalations/new/", perm=Perm.CREATE, cross_tenant=False, url=lambda w, own: "/escalations/new/"),
    Page("escalations/<str:reference>/", url=ref_url()),
    Page("escalations/<str:reference>/do/<str:action>/", perm=Perm.WORK, url=ref_url("do/note/"), method="post",
         data=lambda w, url: {"body": "a note", "version": _version(url)}, htmx=True),
    Page("escalations/customers/", perm=Perm.CREATE, htmx=True,
         url=lambda w, own: f"/escalations/customers/?tenant={'ACME' if own else 'GLOBEX'}&customer_q=a"),
    # Bulk work is for leads; a role without assign is refused before any id is looked at.
    Page("escalations/bulk/", perm=Perm.ASSIGN, method="post", ok=(302,),
         url=lambda w, own: f"/escalations/bulk/?case={_esc(w, own).pk}",
         data=lambda w, url: {"ids": url.split("case=")[1], "action": "acknowledge", "reason": "r"}),
    Page("approvals/", perm=Perm.APPROVE_COMPENSATION, cross_tenant=False, url=lambda w, own: "/approvals/"),
    Page("approvals/<int:pk>/decide/", perm=Perm.APPROVE_COMPENSATION, method="post", ok=(302,),
         url=lambda w, own: f"/approvals/{_requested(w, own)}/decide/",
         data=lambda w, url: {"decision": "approve", "note": "ok"}),
    # API: list, create, read
    Operation("get", "/api/v1/escalations", Perm.VIEW, cross_tenant=False),
    Operation("post", "/api/v1/escalations", Perm.CREATE, _create),
    Operation("get", E, Perm.VIEW, lambda w, own: ({"reference": _esc(w, own).reference}, None)),
    # API: actions
    _op("acknowledge", Perm.WORK), _op("start", Perm.WORK),
    _op("assign", Perm.ASSIGN, lambda w, x: {"owner": w.users["agent"].pk}), _op("unassign", Perm.ASSIGN),
    _op("escalate", Perm.ESCALATE, {"reason": "r", "trigger": "hierarchical"}),
    _op("de-escalate", Perm.ESCALATE, {"reason": "r"}),
    _op("priority", Perm.CHANGE_PRIORITY, {"priority": "P1"}),
    _op("notes", Perm.WORK, {"body": "b"}), _op("replies", Perm.WORK, {"body": "b"}),
    _op("pending", Perm.WORK, {"waiting_on": "customer"}), _op("resume", Perm.WORK),
    _op("resolve", Perm.RESOLVE, {"summary": "s", "resolution_code": "fixed"}),
    _op("close", Perm.RESOLVE), _op("reopen", Perm.RESOLVE, {"reason": "r"}),
    _op("cancel", Perm.RESOLVE, {"reason": "r"}),
    _op("links", Perm.WORK, lambda w, x: {"target": w.escalation("admin").reference, "kind": "related_to"}),
    _op("unlink", Perm.WORK, lambda w, x: {"target": w.escalation("admin").reference, "kind": "related_to"}),
    _op("merge", Perm.RESOLVE, lambda w, x: {"into": w.escalation("admin").reference}),
    _op("watch", Perm.WORK), _op("unwatch", Perm.WORK),
    _op("tags", Perm.WORK, {"add": ["x"]}), _op("details", Perm.WORK, {"title": "New title"}),
    Operation("post", f"{E}/attachments", Perm.WORK,
              lambda w, own: ({"reference": _esc(w, own).reference},
                              {"file": SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")}),
              multipart=True),
    Operation("get", f"{E}/attachments/{{attachment_id}}", Perm.VIEW, _attachment),
    _op("collaborators", Perm.ESCALATE, lambda w, x: {"team": w.teams["billing"].pk, "reason": "r"}),
    _op("collaborators-acknowledge", Perm.WORK, lambda w, x: {"team": w.teams["billing"].pk}, setup=_collaborating),
    _op("client-escalation", Perm.WORK, {"reason": "r"}),  # staff record the customer's ask
    _op("client-escalation-acknowledge", Perm.ASSIGN),
    _op("approvals", Perm.WORK, {"kind": "policy_exception", "reason": "r"}),
    _op("approvals-approve", Perm.APPROVE_COMPENSATION, lambda w, x: {"approval": x.get("approval", 1)},
        setup=_approval),
    _op("approvals-reject", Perm.APPROVE_COMPENSATION, lambda w, x: {"approval": x.get("approval", 1), "note": "n"},
        setup=_approval),
]
