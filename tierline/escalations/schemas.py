"""API shapes. Request bodies forbid unknown fields; datetimes must carry an offset."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from tierline.core.inputs import Id
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
from tierline.kit import Strict, Versioned

Text200 = Field(min_length=1, max_length=200)


class EscalationCreate(Strict):
    tenant: str | None = Field(default=None, max_length=12, description="tenant code; optional with one tenant")
    title: str = Text200
    description: str = Field(default="", max_length=20000)
    type: EscalationType
    trigger: Trigger | None = Field(default=None, description="omit to let the escalation matrix record it")
    priority: Priority
    channel: Channel
    team: Id | None = Field(default=None, description="omit to let the tenant's escalation matrix route it")
    customer: Id | None = None
    external_id: str = Field(default="", max_length=100)
    owner: Id | None = None
    tags: list[str] = Field(default_factory=list, max_length=30)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    watchers: list[int] = Field(default_factory=list, max_length=50)


class AssignIn(Versioned):
    owner: Id


class EscalateIn(Versioned):
    reason: str = Field(min_length=1, max_length=2000)
    trigger: Trigger
    team: Id | None = Field(default=None, description="omit for one level up the team's chain")


class DeEscalateIn(Versioned):
    reason: str = Field(min_length=1, max_length=2000)
    team: Id | None = None


class PriorityIn(Versioned):
    priority: Priority
    reason: str = Field(default="", max_length=2000)


class BodyIn(Versioned):
    body: str = Field(min_length=1, max_length=20000)


class PendingIn(Versioned):
    waiting_on: Literal["customer", "third_party"]
    reason: str = Field(default="", max_length=2000)


class ResolveIn(Versioned):
    summary: str = Field(min_length=1, max_length=5000)
    resolution_code: ResolutionCode
    root_cause_category: RootCauseCategory | None = None
    compensation_amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    compensation_currency: str = Field(default="", pattern=r"^([A-Z]{3})?$")


class ReasonIn(Versioned):
    reason: str = Field(min_length=1, max_length=2000)


class LinkIn(Versioned):
    target: str = Field(min_length=1, max_length=32, description="reference of the other escalation")
    kind: LinkKind


class MergeIn(Versioned):
    into: str = Field(min_length=1, max_length=32, description="reference of the surviving escalation")
    reason: str = Field(default="", max_length=2000)


class WatchIn(Versioned):
    user: Id | None = Field(default=None, description="defaults to the caller")


class TagsIn(Versioned):
    add: list[str] = Field(default_factory=list, max_length=30)
    remove: list[str] = Field(default_factory=list, max_length=30)


class DetailsIn(Versioned):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20000)
    type: EscalationType | None = None
    channel: Channel | None = None
    external_id: str | None = Field(default=None, max_length=100)
    customer: Id | None = None
    custom_fields: dict[str, Any] | None = None


class Out(BaseModel):
    """Response shapes: plain pydantic models. The API builds plain dicts (serializers.py), so
    ninja.Schema's per-object attribute resolver (built for ORM objects) is pure overhead there —
    a quarter of a list or detail request's time when it wrapped every nested object."""


class Ref(Out):
    id: int
    name: str


class TeamRef(Ref):
    level: int


class UserRef(Out):
    id: int
    username: str
    name: str


class CustomerRef(Ref):
    tier: str


class EscalationOut(Out):
    id: int
    reference: str
    tenant: str
    title: str
    description: str
    type: EscalationType
    trigger: Trigger
    priority: Priority
    level: int
    team: TeamRef
    owner: UserRef | None
    status: Status
    customer: CustomerRef | None
    channel: Channel
    external_id: str
    resolution_summary: str
    resolution_code: str
    root_cause_category: str
    compensation_amount: Decimal | None
    compensation_currency: str
    csat_score: int | None
    tags: list[str]
    custom_fields: dict[str, Any]
    merged_into: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    acknowledged_at: AwareDatetime | None
    resolved_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    reopen_count: int
    reassignment_count: int
    version: int
    matrix_version: int | None = Field(description="the escalation matrix version that routed it at intake")
    routing_rule: str = Field(description="the matrix rule that routed it ('' when routed by hand)")
    allowed_moves: list[str]


class ActorOut(Out):
    kind: str
    label: str
    user: int | None


class EventOut(Out):
    seq: int
    type: str
    type_id: int
    occurred_at: AwareDatetime
    actor: ActorOut
    data: dict[str, Any]
    hash: str


class LinkOut(Out):
    kind: str
    direction: Literal["out", "in"]
    reference: str
    title: str
    status: str


class AttachmentOut(Out):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: AwareDatetime


class EscalationDetail(EscalationOut):
    watchers: list[UserRef]
    links: list[LinkOut]
    attachments: list[AttachmentOut]
    timeline: list[EventOut]


class EscalationPage(Out):
    items: list[EscalationOut]
    next_cursor: str | None
