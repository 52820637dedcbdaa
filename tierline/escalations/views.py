"""The web UI: escalation lists, the create form, the detail page and its action forms.

Views only read through `queries` and write through `actions`; they translate DomainErrors
into messages on the page. The detail page is one htmx container: every action form posts to
`escalation_action`, which answers an htmx request with the re-rendered container and a plain
form post with a redirect (success) or the full page (refusal), so it works without JS too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tierline import actions
from tierline.accounts.models import User
from tierline.accounts.permissions import Perm, role_allows
from tierline.actions.approvals import approval_needed
from tierline.audit import access
from tierline.audit.event_types import EventType
from tierline.audit.models import AccessChannel
from tierline.core.errors import DomainError, InvalidInput, NotFound, StaleVersion
from tierline.escalations import forms, queries, states
from tierline.escalations.choices import (
    Channel,
    EscalationType,
    LinkKind,
    Priority,
    ResolutionCode,
    RootCauseCategory,
    Status,
    Trigger,
)
from tierline.escalations.models import OPEN_STATUSES
from tierline.kit import actor_of, is_partial, tenants_of, ui_view
from tierline.privacy.masking import NO_MASK, Mask, mask_for
from tierline.sla.display import sla_rows
from tierline.tenancy import scoping
from tierline.tenancy.models import Team


# -- shared helpers --------------------------------------------------------------------------
def escalation_or_404(request, reference: str):
    try:
        return queries.get_escalation(actor_of(request), reference)
    except NotFound:
        raise Http404("no such escalation")


def ago(value, now) -> str:
    if value is None:
        return ""
    seconds = (now - value).total_seconds()
    if seconds < 0 or seconds >= 7 * 86400:
        return timezone.localtime(value).strftime("%d %b %Y")
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def sla_badge(breach_at, now) -> dict | None:
    """The list's SLA cell from the stored earliest breach instant (no per-row clock replay)."""
    if breach_at is None:
        return None
    left = (breach_at - now).total_seconds()
    when = timezone.localtime(breach_at).strftime("%a %H:%M")
    if left <= 0:
        return {"level": "breached", "text": f"breached {ago(breach_at, now)}", "title": f"breach {when}"}
    hours, minutes = divmod(int(left // 60), 60)
    text = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return {"level": "risk" if left < 2 * 3600 else "ok", "text": f"due {when}", "title": f"{text} left (wall time)"}


def _label(choices, value) -> str:
    try:
        return choices(value).label
    except ValueError:
        return str(value)


def _list_filters(data: dict, view: str, user) -> queries.ListFilters:
    status = data.get("status") or ""
    return queries.ListFilters(
        status=None if status == "all" else [status or "open"],
        priority=data.get("priority") or None, type=data.get("type") or None, level=data.get("level"),
        team=data["team"].pk if data.get("team") else None, tenant=data.get("tenant") or None,
        q=(data.get("q") or "").strip() or None, owner=user.pk if view == "mine" else None,
    )


@ui_view
def home(request):
    return redirect("escalations:list")


# -- create ----------------------------------------------------------------------------------
@ui_view
def escalation_create(request):
    tenants = tenants_of(request.user, Perm.CREATE)
    if not tenants:
        return render(request, "escalations/message.html", {
            "title": "Not allowed", "message": "Your role does not allow creating escalations."}, status=403)
    error = None
    if request.method == "POST":
        form = forms.CreateForm(request.POST, tenants=tenants)
        if form.is_valid():
            d = form.cleaned_data
            try:
                esc = actions.create_escalation(
                    actor=actor_of(request), now=timezone.now(), tenant=d["tenant"], title=d["title"],
                    description=d["description"], type=d["type"], priority=d["priority"], channel=d["channel"],
                    trigger=d["trigger"] or None, team=d["team"], customer=d["customer"], external_id=d["external_id"],
                    tags=forms.split_tags(d["tags"]),
                )
            except DomainError as err:
                forms.apply_domain_error(form, err)
                error = err.message
            else:
                messages.success(request, f"{esc.reference} created.")
                return redirect("escalations:detail", reference=esc.reference)
        else:
            error = "Please correct the fields marked below."
    else:
        form = forms.CreateForm(initial=request.GET.dict(), tenants=tenants)
    return render(request, "escalations/create.html", {"form": form, "error": error})


# -- the actions a person can take on one escalation -----------------------------------------
@dataclass(frozen=True)
class Act:
    label: str
    perm: Perm
    form: type
    run: Callable  # (request, esc, cleaned_data, kw) -> None; kw = actor, now, expected_version
    when: Callable  # (esc, moves, watching) -> bool: offered in this state
    done: str
    kind: str = "panel"  # "button": one click; "panel": a form in the sidebar; "compose": under the timeline
    danger: bool = False
    button: str = ""  # the submit button's text, when it should differ from the label


def _target(request, reference: str, field: str):
    try:
        return queries.get_escalation(actor_of(request), reference.strip().upper())
    except NotFound:
        raise NotFound(f"there is no escalation {reference} in your clients", fields={field: "not found"})


def _open(esc, moves, watching):
    return states.is_open(esc.status)


def _move(name):
    return lambda esc, moves, watching: name in moves


ACTIONS: dict[str, Act] = {
    "acknowledge": Act("Acknowledge", Perm.WORK, forms.ActionForm, lambda r, e, d, kw: actions.acknowledge(e, **kw),
                       _move("acknowledge"), "Acknowledged.", kind="button"),
    "start": Act("Start work", Perm.WORK, forms.ActionForm, lambda r, e, d, kw: actions.start_progress(e, **kw),
                 _move("start_progress"), "Work started.", kind="button"),
    "resume": Act("Resume", Perm.WORK, forms.ActionForm, lambda r, e, d, kw: actions.resume(e, **kw),
                  _move("resume"), "Resumed.", kind="button"),
    "close": Act("Close", Perm.RESOLVE, forms.ActionForm, lambda r, e, d, kw: actions.close(e, **kw),
                 _move("close"), "Closed.", kind="button"),
    "watch": Act("Watch", Perm.WORK, forms.ActionForm, lambda r, e, d, kw: actions.watch(e, r.user, **kw),
                 lambda e, m, watching: not watching, "You are watching this escalation.", kind="button"),
    "unwatch": Act("Stop watching", Perm.WORK, forms.ActionForm,
                   lambda r, e, d, kw: actions.unwatch(e, r.user, **kw),
                   lambda e, m, watching: watching, "You stopped watching.", kind="button"),
    "unassign": Act("Unassign", Perm.ASSIGN, forms.ActionForm, lambda r, e, d, kw: actions.unassign(e, **kw),
                    lambda e, m, w: states.is_open(e.status) and e.owner_id is not None, "Owner cleared.",
                    kind="button"),
    "note": Act("Internal note", Perm.WORK, forms.BodyForm,
                lambda r, e, d, kw: actions.add_internal_note(e, d["body"], **kw),
                lambda e, m, w: True, "Note added.", kind="compose", button="Add note"),
    "reply": Act("Public reply", Perm.WORK, forms.BodyForm,
                 lambda r, e, d, kw: actions.add_public_reply(e, d["body"], **kw),
                 lambda e, m, w: e.status not in states.TERMINAL, "Reply recorded.", kind="compose",
                 button="Send reply"),
    "escalate": Act("Escalate", Perm.ESCALATE, forms.EscalateForm,
                    lambda r, e, d, kw: actions.escalate(e, reason=d["reason"], trigger=d["trigger"],
                                                         team=d["team"], **kw),
                    _open, "Escalated."),
    "assign": Act("Assign", Perm.ASSIGN, forms.AssignForm,
                  lambda r, e, d, kw: actions.assign(e, d["owner"], **kw), _open, "Owner assigned."),
    "priority": Act("Change priority", Perm.CHANGE_PRIORITY, forms.PriorityForm,
                    lambda r, e, d, kw: actions.change_priority(e, d["priority"], reason=d["reason"], **kw),
                    _open, "Priority changed."),
    "pending": Act("Set pending", Perm.WORK, forms.PendingForm,
                   lambda r, e, d, kw: actions.set_pending(e, waiting_on=d["waiting_on"], reason=d["reason"], **kw),
                   lambda e, m, w: "pend_customer" in m or "pend_third_party" in m, "Now pending."),
    "resolve": Act("Resolve", Perm.RESOLVE, forms.ResolveForm,
                   lambda r, e, d, kw: actions.resolve(
                       e, summary=d["summary"], resolution_code=d["resolution_code"],
                       root_cause_category=d["root_cause_category"], compensation_amount=d["compensation_amount"],
                       compensation_currency=d["compensation_currency"], **kw),
                   _move("resolve"), "Resolved."),
    "request-approval": Act("Request approval", Perm.WORK, forms.RequestApprovalForm,
                            lambda r, e, d, kw: _request_approvals(e, d, kw),
                            lambda e, m, w: False, "Approval requested: a manager decides on the approvals page.",
                            kind="hidden"),
    "de-escalate": Act("De-escalate", Perm.ESCALATE, forms.DeEscalateForm,
                       lambda r, e, d, kw: actions.de_escalate(e, reason=d["reason"], team=d["team"], **kw),
                       lambda e, m, w: states.is_open(e.status) and e.level > 1, "De-escalated."),
    "reopen": Act("Reopen", Perm.RESOLVE, forms.ReasonForm,
                  lambda r, e, d, kw: actions.reopen(e, reason=d["reason"], **kw), _move("reopen"), "Reopened."),
    "tags": Act("Tags", Perm.WORK, forms.TagsForm,
                lambda r, e, d, kw: actions.set_tags(e, add=forms.split_tags(d["add"]),
                                                     remove=forms.split_tags(d["remove"]), **kw),
                lambda e, m, w: True, "Tags updated.", button="Add tags"),
    "link": Act("Link", Perm.WORK, forms.LinkForm,
                lambda r, e, d, kw: actions.link(e, _target(r, d["target"], "target"), kind=d["kind"], **kw),
                lambda e, m, w: True, "Linked."),
    "merge": Act("Merge as duplicate", Perm.RESOLVE, forms.MergeForm,
                 lambda r, e, d, kw: actions.merge(e, _target(r, d["into"], "into"), reason=d["reason"], **kw),
                 lambda e, m, w: states.is_open(e.status) and not e.merged_into_id, "Merged.", danger=True),
    "cancel": Act("Cancel", Perm.RESOLVE, forms.ReasonForm,
                  lambda r, e, d, kw: actions.cancel(e, reason=d["reason"], **kw), _move("cancel"), "Cancelled.",
                  danger=True),
}
# The actions name the other escalation `target` whatever the form calls it.
FIELD_ALIASES = {"merge": {"target": "into"}, "tags": {"tags": "add"},
                 "request-approval": {"reason": "approval_reason", "amount": "compensation_amount",
                                      "currency": "compensation_currency"}}
# A hidden action's refusal is shown on the panel it was sent from.
SENT_FROM = {"request-approval": "resolve"}


def _request_approvals(esc, d, kw):
    """One request per approval the resolution as filled in would need."""

    kinds = approval_needed(esc, amount=d["compensation_amount"], resolution_code=d["resolution_code"])
    if not kinds:
        raise InvalidInput("this resolution needs no approval: resolve it directly",
                           code="no_approval_needed", fields={"compensation_amount": "within the threshold"})
    for kind in kinds:
        esc, _ = actions.request_approval(
            esc, kind=kind, reason=d["approval_reason"], amount=d["compensation_amount"],
            currency=d["compensation_currency"], **kw)
        kw = {**kw, "expected_version": esc.version}


# -- timeline ----------------------------------------------------------------------------------
class _Names:
    """Team and user names for a timeline, fetched in two queries for all events."""

    def __init__(self, esc, events):
        team_ids, user_ids = set(), set()
        for ev in events:
            d, ch = ev.data, ev.data.get("changes") or {}
            team_ids |= {d.get("from_team"), d.get("to_team"), *ch.get("team", [])}
            user_ids |= {ev.actor_user_id, d.get("user"), *ch.get("owner", [])}
        self.teams = {t.pk: t for t in Team.objects.filter(tenant_id=esc.tenant_id, pk__in=team_ids - {None})}
        self.users = {u.pk: u for u in User.objects.filter(pk__in=user_ids - {None})}

    def team(self, pk) -> str:
        team = self.teams.get(pk)
        return str(team) if team else (f"team #{pk}" if pk else "—")

    def user(self, pk) -> str:
        user = self.users.get(pk)
        return str(user) if user else (f"user #{pk}" if pk else "nobody")


def _with_reason(text: str, d: dict) -> str:
    return f"{text} — reason: {d['reason']}" if d.get("reason") else text


def _describe(ev, names: _Names, data=None) -> tuple[str, str]:
    """(one-line summary, longer body) for an event, in words a desk agent uses."""
    code, d = EventType(ev.type).code, ev.data if data is None else data
    ch = d.get("changes") or {}

    def after(field):
        return (ch.get(field) or [None, None])[1]

    if code == "created":
        bits = [names.team(after("team")), _label(Priority, after("priority")), _label(EscalationType, after("type")),
                f"via {_label(Channel, after('channel'))}"]
        if after("owner"):
            bits.append(f"owner {names.user(after('owner'))}")
        return "Created — " + ", ".join(bits), ""
    if code in ("escalated", "de_escalated"):
        verb = "Escalated" if code == "escalated" else "De-escalated"
        text = f"{verb} from {names.team(d.get('from_team'))} to {names.team(d.get('to_team'))}"
        if d.get("trigger"):
            text += f" ({_label(Trigger, d['trigger']).lower()})"
        if after("owner"):
            text += f"; owner {names.user(after('owner'))}"
        return _with_reason(text, d), ""
    if code == "acknowledged":
        return ("Acknowledged" + (f" and taken by {names.user(after('owner'))}" if after("owner") else "")), ""
    if code == "status_changed":
        before, now = ch.get("status") or [None, None]
        return _with_reason(f"Status {_label(Status, before)} → {_label(Status, now)}", d), ""
    if code == "priority_changed":
        before, now = ch.get("priority") or [None, None]
        return _with_reason(f"Priority {before} → {now}", d), ""
    if code == "assigned":
        before, now = ch.get("owner") or [None, None]
        return f"Assigned to {names.user(now)}" + (f" (was {names.user(before)})" if before else ""), ""
    if code == "unassigned":
        return f"Unassigned (was {names.user((ch.get('owner') or [None])[0])})", ""
    if code == "internal_note":
        return "Internal note", d.get("body", "")
    if code == "public_reply":
        return "Public reply to the customer", d.get("body", "")
    if code == "customer_contacted":
        return f"Customer contacted via {d.get('channel', '?')}" + (f" ({d['template']})" if d.get("template") else ""), ""
    if code == "resolved":
        text = f"Resolved — {_label(ResolutionCode, after('resolution_code'))}"
        if after("root_cause_category"):
            text += f"; root cause: {_label(RootCauseCategory, after('root_cause_category'))}"
        if after("compensation_amount"):
            text += f"; compensation {after('compensation_amount')} {after('compensation_currency')}"
        return text, after("resolution_summary") or ""
    if code in ("closed", "reopened", "cancelled"):
        return _with_reason(code.capitalize(), d), ""
    if code in ("linked", "unlinked"):
        kind = _label(LinkKind, d.get("kind")).lower()
        verb = "Linked" if code == "linked" else "Unlinked"
        if d.get("direction") == "in":
            return f"{verb}: {d.get('target_reference')} is {kind} this escalation", ""
        return f"{verb}: this escalation is {kind} {d.get('target_reference')}", ""
    if code == "merged":
        return _with_reason(f"Duplicate {d.get('duplicate_reference')} merged into this escalation", d), ""
    if code == "merged_into":
        return _with_reason(f"Merged into {d.get('survivor_reference')} as a duplicate", d), ""
    if code in ("watcher_added", "watcher_removed"):
        verb = "started" if code == "watcher_added" else "stopped"
        return f"{names.user(d.get('user'))} {verb} watching", ""
    if code == "tags_changed":
        before, now = (set(x or []) for x in (ch.get("tags") or [[], []]))
        parts = [f"+{t}" for t in sorted(now - before)] + [f"−{t}" for t in sorted(before - now)]
        return "Tags " + " ".join(parts), ""
    if code == "details_changed":
        return "Details changed: " + ", ".join(sorted(ch)), ""
    if code == "attachment_added":
        return f"Attachment {d.get('filename')} ({d.get('size', 0):,} bytes)", ""
    if code == "csat_received":
        return f"Customer satisfaction {d.get('score', after('csat_score'))}/5", d.get("comment", "")
    if code in ("sla_warning", "sla_breach"):
        what = f"SLA warning ({d.get('percent')} %)" if code == "sla_warning" else "SLA breached"
        target = d.get("target") or ""
        return f"{what}{': ' + target.replace('_', ' ') if target else ''}", ""
    if code == "sla_step":
        return (f"SLA step on {(d.get('target') or '').replace('_', ' ')}: {d.get('action', '').replace('_', ' ')}"
                f" — {d.get('outcome', '')}"), ""
    if code == "sla_policy_applied":
        policy = d.get("policy")
        if not policy:
            return f"No SLA clock: {d.get('problem', 'no policy')}", ""
        return f"SLA policy {policy.get('name')} v{policy.get('version')} applied ({d.get('reason', '')})", ""
    return _describe_coordination(code, d, names) or (code.replace("_", " ").capitalize(), "")


def _describe_coordination(code: str, d: dict, names) -> tuple[str, str] | None:
    if code in ("problem_linked", "problem_unlinked"):
        verb = "Linked to" if code == "problem_linked" else "Unlinked from"
        return f"{verb} problem {d.get('problem_reference')}", d.get("problem_title", "")
    if code == "root_cause_assigned":
        after = (d.get("after") or {}).get("path")
        return (f"Root cause: {after}" if after else "Root cause cleared"), ""
    if code == "routed":
        who = d.get("assignment", {}).get("reason", "")
        rule = f"matrix rule {d['rule']!r} (v{d.get('matrix_version')})" if d.get("rule") else "no matrix rule"
        return f"Routed by {rule}" + (f"; {who}" if who else ""), "\n".join(d.get("reasons") or ())
    if code == "collaborator_added":
        return _with_reason(f"{d.get('team_name')} asked to collaborate", d), ""
    if code == "collaboration_acknowledged":
        return f"{d.get('team_name')} acknowledged its part", ""
    if code == "client_escalation_requested":
        return f"Customer asked to escalate (via {d.get('source', '?').replace('_', ' ')})", d.get("reason", "")
    if code == "client_request_acknowledged":
        return "Customer's escalation request acknowledged" + (" (late)" if d.get("late") else ""), d.get("note", "")
    if code == "client_request_overdue":
        return "Customer's escalation request not acknowledged in time", ""
    if code in ("approval_requested", "approval_granted", "approval_rejected"):
        kind = (d.get("kind") or "").replace("_", " ")
        money = f" {d['amount']} {d.get('currency', '')}" if d.get("amount") else ""
        verb = {"approval_requested": "requested", "approval_granted": "granted",
                "approval_rejected": "rejected"}[code]
        return f"Approval {verb}: {kind}{money}", d.get("reason") or d.get("note") or ""
    return None


def timeline(esc, events, mask: Mask = NO_MASK) -> list[dict]:
    names, now, entries = _Names(esc, events), timezone.now(), []
    for ev in events:
        text, body = _describe(ev, names, mask.event_data(ev.data, ev.actor_kind))
        status = (ev.data.get("changes") or {}).get("status")
        actor = names.user(ev.actor_user_id) if ev.actor_kind == "user" and ev.actor_user_id else ev.actor_label
        entries.append({
            "seq": ev.seq, "code": EventType(ev.type).code, "at": ev.occurred_at, "ago": ago(ev.occurred_at, now),
            "actor": actor, "actor_label": ev.actor_label, "actor_kind": ev.actor_kind, "text": text, "body": body,
            # status_changed says it in its text; created has no "before" worth showing
            "status": ([_label(Status, s) if s else "" for s in status]
                       if status and ev.type not in (EventType.STATUS_CHANGED, EventType.CREATED) else None),
        })
    return entries


# -- detail ----------------------------------------------------------------------------------
def _detail_context(request, esc, *, failed=None):
    events, links_out, links_in, attachments, watchers = queries.load_detail(esc)
    role = scoping.roles_of(request.user).get(esc.tenant_id)
    mask = mask_for(actor_of(request), esc.tenant_id)
    moves = states.allowed_moves(esc.status)
    watching = any(w.user_id == request.user.pk for w in watchers)
    offered = []
    for name, act in ACTIONS.items():
        if not (role and role_allows(role, act.perm) and act.when(esc, moves, watching)):
            continue
        shown_failed = failed and SENT_FROM.get(failed[0], failed[0]) == name
        form = failed[1] if shown_failed else act.form(esc=esc, action=name)
        offered.append({"name": name, "act": act, "form": form, "open": bool(shown_failed),
                        "url": reverse("escalations:action", args=[esc.reference, name])})
    links = ([{"kind": _label(LinkKind, ln.kind), "other": ln.target} for ln in links_out]
             + [{"kind": f"{_label(LinkKind, ln.kind)} (from)", "other": ln.source} for ln in links_in])
    return {
        "esc": esc, "timeline": timeline(esc, events, mask), "links": links,
        "shown_customer": mask.customer(esc.customer) if esc.customer_id else None, "attachments": attachments,
        "watchers": [w.user for w in watchers], "role": role, "read_only": not role_allows(role or "", Perm.WORK),
        "buttons": [a for a in offered if a["act"].kind == "button"],
        "compose": [a for a in offered if a["act"].kind == "compose"],
        "panels": [a for a in offered if a["act"].kind == "panel"],
        "tag_form": next((a for a in offered if a["name"] == "tags"), None),
        "approvals": list(esc.approvals.select_related("decided_by").order_by("pk")),
        "resolved": bool(esc.resolved_at or esc.resolution_summary),
        "resolution_label": _label(ResolutionCode, esc.resolution_code) if esc.resolution_code else "",
        "root_cause_label": _label(RootCauseCategory, esc.root_cause_category) if esc.root_cause_category else "",
        "is_open": esc.status in OPEN_STATUSES, "terminal": esc.status in states.TERMINAL,
        "created_ago": ago(esc.created_at, timezone.now()), "updated_ago": ago(esc.updated_at, timezone.now()),
        "sla": sla_rows(events, timezone.now(), request.user.time_zone or "UTC") if esc.sla_generation else [],
    }


def _render_detail(request, esc, *, status=200, **extra):
    ctx = _detail_context(request, esc, failed=extra.pop("failed", None))
    ctx.update(extra, partial=is_partial(request))
    template = "escalations/_detail.html" if ctx["partial"] else "escalations/detail.html"
    return render(request, template, ctx, status=status)


@ui_view
def escalation_detail(request, reference):
    esc = escalation_or_404(request, reference)
    access.record_view(esc, actor_of(request), AccessChannel.PAGE, timezone.now())
    return _render_detail(request, esc)


@ui_view
@require_POST
def escalation_action(request, reference, action):
    act = ACTIONS.get(action)
    if act is None:
        raise Http404("no such action")
    esc = escalation_or_404(request, reference)
    actor = actor_of(request)
    form = act.form(request.POST, esc=esc, action=action)
    try:
        scoping.check(actor, act.perm, esc.tenant_id)
        if not form.is_valid():
            if "version" in form.errors:
                raise InvalidInput("This form is missing the version you loaded; reload the page and try again.")
            raise InvalidInput("Please correct the fields marked below.")
        kw = {"actor": actor, "now": timezone.now(), "expected_version": form.cleaned_data["version"]}
        act.run(request, esc, form.cleaned_data, kw)
    except DomainError as err:
        forms.apply_domain_error(form, err, FIELD_ALIASES.get(action))
        stale = isinstance(err, StaleVersion)
        # Stale: the fresh state is what the person must look at, so their old form is dropped.
        return _render_detail(request, escalation_or_404(request, reference), status=err.http_status, error=err.message,
                              stale=stale, failed=None if stale else (action, form))
    if not is_partial(request):
        messages.success(request, f"{esc.reference}: {act.done}")
        return redirect("escalations:detail", reference=esc.reference)
    return _render_detail(request, escalation_or_404(request, reference), notice=act.done)
