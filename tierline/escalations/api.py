"""Escalation endpoints: list, detail, create (idempotent) and one endpoint per action."""

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import File, Query, Router, Schema, UploadedFile
from ninja import Status as Reply
from pydantic import Field

from tierline import actions
from tierline.accounts.models import User
from tierline.audit import access
from tierline.audit.models import AccessChannel
from tierline.core.canonical import dumps
from tierline.core.errors import InvalidInput, NotFound
from tierline.core.inputs import Id, Moment, parse_id
from tierline.escalations import queries
from tierline.escalations.choices import EscalationType, Priority, Status
from tierline.escalations.models import Attachment, IdempotencyRecord
from tierline.escalations.schemas import (
    AssignIn,
    BodyIn,
    DeEscalateIn,
    DetailsIn,
    EscalateIn,
    EscalationCreate,
    EscalationDetail,
    EscalationPage,
    LinkIn,
    MergeIn,
    PendingIn,
    PriorityIn,
    ReasonIn,
    ResolveIn,
    TagsIn,
    WatchIn,
)
from tierline.escalations.serializers import detail_dict, escalation_dict
from tierline.kit import ERRORS, Versioned, scoped_customer, scoped_team
from tierline.privacy.masking import mask_for
from tierline.tenancy.scoping import get_tenant, scoped_users, tenants

router = Router(tags=["escalations"])
class ListQuery(Schema):
    status: list[Status | str] | None = Field(default=None, description="repeatable; `open` for every open status")
    level: int | None = Field(default=None, ge=1, le=5)
    team: Id | None = None
    owner: str | None = Field(default=None, description="user id, `me` or `none`")
    type: EscalationType | None = None
    priority: Priority | None = None
    customer: Id | None = None
    tenant: str | None = Field(default=None, max_length=12)
    created_after: Moment | None = None
    created_before: Moment | None = None
    updated_after: Moment | None = None
    updated_before: Moment | None = None
    q: str | None = Field(default=None, max_length=200)
    cursor: str | None = Field(default=None, max_length=100)
    limit: int = Field(default=50, ge=1, le=200)


def _detail(esc, actor):
    return detail_dict(esc, *queries.load_detail(esc), mask=mask_for(actor, esc.tenant_id))


def _with_etag(request, response_status, esc):
    request.tierline_etag = esc.etag
    return Reply(response_status, _detail(esc, request.actor))


def _expected_version(request: HttpRequest, body: Versioned | None) -> int | None:
    header = request.headers.get("If-Match")
    if header:
        value = header.strip().removeprefix("W/").strip('"')
        version = parse_id(value)
        if version is None:
            raise InvalidInput("If-Match must be the escalation's version, e.g. \"3\"", fields={"If-Match": "invalid"})
        return version
    return getattr(body, "version", None)


def _user(actor, user_id: int, field: str):
    user = scoped_users(User.objects.all(), actor).filter(pk=user_id, is_active=True).first()
    if user is None:
        raise NotFound(f"{field} not found", fields={field: "not found"})
    return user


@router.get("", response={200: EscalationPage, **ERRORS}, summary="List escalations")
def list_escalations(request: HttpRequest, filters: Query[ListQuery]):
    owner, unassigned = None, False
    if filters.owner == "me":
        owner = request.actor.user.pk if request.actor.user else None
    elif filters.owner == "none":
        unassigned = True
    elif filters.owner:
        owner = parse_id(filters.owner)
        if owner is None:
            raise InvalidInput("owner must be a user id, `me` or `none`", fields={"owner": "invalid"})
    valid_statuses = {s.value for s in Status} | {"open"}
    for s in filters.status or []:
        if str(s) not in valid_statuses:
            raise InvalidInput(f"unknown status {s}", fields={"status": f"one of {', '.join(sorted(valid_statuses))}"})
    f = queries.ListFilters(
        status=[str(s) for s in filters.status] if filters.status else None, level=filters.level,
        team=filters.team, owner=owner, unassigned=unassigned, type=filters.type, priority=filters.priority,
        customer=filters.customer, tenant=filters.tenant, created_after=filters.created_after,
        created_before=filters.created_before, updated_after=filters.updated_after,
        updated_before=filters.updated_before, q=filters.q,
    )
    rows, next_cursor = queries.page(request.actor, f, cursor=filters.cursor, limit=filters.limit)
    return Reply(200, {"items": [escalation_dict(e, mask_for(request.actor, e.tenant_id)) for e in rows], "next_cursor": next_cursor})


@router.post("", response={201: EscalationDetail, **ERRORS}, summary="Create an escalation")
def create_escalation(request: HttpRequest, payload: EscalationCreate):
    actor = request.actor
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 200):
        raise InvalidInput("Idempotency-Key must be 1–200 characters", fields={"Idempotency-Key": "invalid"})
    allowed = list(tenants(actor))
    if payload.tenant:
        tenant = get_tenant(actor, payload.tenant)
    elif len(allowed) == 1:
        tenant = allowed[0]
    else:
        raise InvalidInput("tenant is required: you work for several", fields={"tenant": "required"})
    principal = f"token:{actor.token.prefix}" if actor.token is not None else f"user:{actor.user.pk}"
    digest = hashlib.sha256(dumps(payload.model_dump(mode="json")).encode()).hexdigest()

    def replay():
        record = IdempotencyRecord.objects.filter(tenant=tenant, principal=principal, key=key).first()
        if record is None:
            return None
        if record.request_digest != digest:
            raise InvalidInput("this Idempotency-Key was used with a different request body",
                               code="idempotency_key_reused", fields={"Idempotency-Key": "reused"})
        request.tierline_replayed = True
        return _with_etag(request, 201, queries.get_escalation(actor, record.escalation.reference))

    if key:
        replayed = replay()
        if replayed:
            return replayed
    team = scoped_team(actor, payload.team)
    try:
        with transaction.atomic():
            esc = actions.create_escalation(
                actor=actor, now=timezone.now(), tenant=tenant, title=payload.title,
                description=payload.description, type=payload.type, trigger=payload.trigger,
                priority=payload.priority, team=team, channel=payload.channel,
                customer=scoped_customer(actor, payload.customer), external_id=payload.external_id,
                owner=_user(actor, payload.owner, "owner") if payload.owner else None, tags=payload.tags,
                custom_fields=payload.custom_fields,
                watchers=[_user(actor, w, "watchers") for w in payload.watchers],
            )
            if key:
                IdempotencyRecord.objects.create(tenant=tenant, principal=principal, key=key, request_digest=digest,
                                                 escalation=esc, created_at=esc.created_at)
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer with its result.
        replayed = replay() if key else None
        if replayed is None:
            raise
        return replayed
    return _with_etag(request, 201, queries.get_escalation(actor, esc.reference))


@router.get("/{reference}", response={200: EscalationDetail, **ERRORS}, summary="An escalation with its timeline")
def get_escalation(request: HttpRequest, reference: str):
    esc = queries.get_escalation(request.actor, reference)
    access.record_view(esc, request.actor, AccessChannel.API, timezone.now())
    return _with_etag(request, 200, esc)


def _act(request: HttpRequest, reference: str, body: Versioned | None, call: Callable):
    esc = queries.get_escalation(request.actor, reference)
    expected = _expected_version(request, body)
    esc = call(esc, dict(actor=request.actor, now=timezone.now(), expected_version=expected))
    return _with_etag(request, 200, queries.get_escalation(request.actor, esc.reference))


_REGISTERED: set[str] = set()


def register_action(path: str, schema, summary: str, fn):
    """One POST endpoint per action; `fn(request, esc, body, kw)` calls the action. Registering
    the same path twice is a no-op, so an app's register call can never duplicate an endpoint."""
    if path in _REGISTERED:
        return
    _REGISTERED.add(path)
    if schema is None:
        def endpoint(request: HttpRequest, reference: str):
            return _act(request, reference, None, lambda esc, kw: fn(request, esc, None, kw))
    else:
        def endpoint(request: HttpRequest, reference: str, payload: schema):  # type: ignore[valid-type]
            return _act(request, reference, payload, lambda esc, kw: fn(request, esc, payload, kw))
    endpoint.__name__ = path.replace("-", "_")
    router.post(f"/{{reference}}/{path}", response={200: EscalationDetail, **ERRORS}, summary=summary,
                operation_id=f"escalation_{endpoint.__name__}")(endpoint)


register_action("acknowledge", Versioned, "Acknowledge", lambda r, e, b, kw: actions.acknowledge(e, **kw))
register_action("start", Versioned, "Start work", lambda r, e, b, kw: actions.start_progress(e, **kw))
register_action("assign", AssignIn, "Assign an owner",
          lambda r, e, b, kw: actions.assign(e, _user(r.actor, b.owner, "owner"), **kw))
register_action("unassign", Versioned, "Clear the owner", lambda r, e, b, kw: actions.unassign(e, **kw))
register_action("escalate", EscalateIn, "Escalate (hierarchical without team, functional with one)",
          lambda r, e, b, kw: actions.escalate(e, reason=b.reason, trigger=b.trigger, team=scoped_team(r.actor, b.team),
                                               **kw))
register_action("de-escalate", DeEscalateIn, "De-escalate",
          lambda r, e, b, kw: actions.de_escalate(e, reason=b.reason, team=scoped_team(r.actor, b.team), **kw))
register_action("priority", PriorityIn, "Change priority",
          lambda r, e, b, kw: actions.change_priority(e, b.priority, reason=b.reason, **kw))
register_action("notes", BodyIn, "Add an internal note", lambda r, e, b, kw: actions.add_internal_note(e, b.body, **kw))
register_action("replies", BodyIn, "Add a public reply", lambda r, e, b, kw: actions.add_public_reply(e, b.body, **kw))
register_action("pending", PendingIn, "Wait on the customer or a third party",
          lambda r, e, b, kw: actions.set_pending(e, waiting_on=b.waiting_on, reason=b.reason, **kw))
register_action("resume", Versioned, "Resume work", lambda r, e, b, kw: actions.resume(e, **kw))
register_action("resolve", ResolveIn, "Resolve",
          lambda r, e, b, kw: actions.resolve(
              e, summary=b.summary, resolution_code=b.resolution_code,
              root_cause_category=b.root_cause_category or "", compensation_amount=b.compensation_amount,
              compensation_currency=b.compensation_currency, **kw))
register_action("close", Versioned, "Close", lambda r, e, b, kw: actions.close(e, **kw))
register_action("reopen", ReasonIn, "Reopen", lambda r, e, b, kw: actions.reopen(e, reason=b.reason, **kw))
register_action("cancel", ReasonIn, "Cancel", lambda r, e, b, kw: actions.cancel(e, reason=b.reason, **kw))
register_action("links", LinkIn, "Link to another escalation",
          lambda r, e, b, kw: actions.link(e, queries.get_escalation(r.actor, b.target), kind=b.kind,
                                           **kw))
register_action("unlink", LinkIn, "Remove a link",
          lambda r, e, b, kw: actions.unlink(e, queries.get_escalation(r.actor, b.target), kind=b.kind,
                                             **kw))
register_action("merge", MergeIn, "Merge this duplicate into another escalation",
          lambda r, e, b, kw: actions.merge(e, queries.get_escalation(r.actor, b.into), reason=b.reason,
                                            **kw) and e)
register_action("watch", WatchIn, "Watch",
          lambda r, e, b, kw: actions.watch(e, _user(r.actor, b.user, "user") if b.user else r.actor.user, **kw))
register_action("unwatch", WatchIn, "Stop watching",
          lambda r, e, b, kw: actions.unwatch(e, _user(r.actor, b.user, "user") if b.user else r.actor.user, **kw))
register_action("tags", TagsIn, "Add or remove tags",
          lambda r, e, b, kw: actions.set_tags(e, add=b.add, remove=b.remove, **kw))


def _edit(request, esc, body: DetailsIn, kw):
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    if "customer" in changes:
        changes["customer"] = scoped_customer(request.actor, changes["customer"])
    return actions.edit_details(esc, **changes, **kw)


register_action("details", DetailsIn, "Edit title, description, type, channel, external id, customer, custom fields",
          _edit)


@router.post("/{reference}/attachments", response={200: EscalationDetail, **ERRORS}, summary="Attach a file",
             operation_id="escalation_attach")
def attach(request: HttpRequest, reference: str, file: File[UploadedFile]):
    limit = settings.TIERLINE["ATTACHMENT_MAX_BYTES"]
    if file.size is not None and file.size > limit:
        raise InvalidInput(f"the file is larger than {limit} bytes", fields={"file": "too large"}, code="too_large")
    return _act(request, reference, None, lambda esc, kw: actions.add_attachment(
        esc, filename=file.name or "file", content=file.read(limit + 1), content_type=file.content_type or "",
        **kw))


@router.get("/{reference}/attachments/{attachment_id}", response={**ERRORS}, summary="Download an attachment",
            operation_id="escalation_attachment_download")
def download(request: HttpRequest, reference: str, attachment_id: Id):
    esc = queries.get_escalation(request.actor, reference)
    attachment = Attachment.objects.filter(escalation=esc, pk=attachment_id).first()
    if attachment is None:
        raise NotFound("attachment not found")
    # Always a download, never rendered inline: uploaded HTML or SVG must not run in our origin.
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
