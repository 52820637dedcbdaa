"""Report schedules over the API: list them (with any error that parked one) and add one.

A bad time zone is refused by the schema (422 validation_error), a recipient who is not a user
of the client with access to its reports by the service (422 invalid): both when saved, never
found out by the worker at 07:00 on Monday.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Status as Reply
from pydantic import Field, field_validator

from tierline.accounts.permissions import Perm
from tierline.core.errors import InvalidInput
from tierline.kit import ERRORS
from tierline.reports import schedules
from tierline.reports.api import Strict, _tenant, router
from tierline.reports.models import ReportSchedule
from tierline.reports.schedule_math import is_time_zone
from tierline.runtime.models import ParkedItem
from tierline.tenancy import scoping


class ScheduleIn(Strict):
    recipient: str = Field(description="username of a user of this client who may see its reports")
    frequency: Literal["weekly", "monthly"]
    format: Literal["pdf", "xlsx"] = "pdf"
    time_zone: str | None = Field(default=None, description="IANA name; default: the recipient's")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and not is_time_zone(value):
            raise ValueError("unknown time zone (an IANA name such as Europe/Paris)")
        return value


class ScheduleOut(Strict):
    id: int
    recipient: str
    frequency: str
    format: str
    time_zone: str
    is_active: bool
    next_run_at: dt.datetime
    error: str | None = Field(default=None, description="why the worker set this schedule aside, if it did")


def _out(schedule: ReportSchedule, errors: dict[int, str]) -> ScheduleOut:
    return ScheduleOut(id=schedule.pk, recipient=schedule.recipient.username, frequency=schedule.frequency,
                       format=schedule.format, time_zone=schedule.time_zone, is_active=schedule.is_active,
                       next_run_at=schedule.next_run_at, error=errors.get(schedule.pk))


@router.get("/tenants/{code}/schedules", response={200: list[ScheduleOut], **ERRORS},
            summary="The client's report schedules, each with the error that set it aside, if any")
def list_schedules(request: HttpRequest, code: str):
    tenant = _tenant(request, code, Perm.CONFIGURE)
    rows = list(ReportSchedule.objects.filter(tenant=tenant).select_related("recipient").order_by("id"))
    errors = dict(ParkedItem.objects.filter(tenant_ref=tenant.pk, kind=schedules.KIND, object_id__in=[s.pk for s in rows])
                  .values_list("object_id", "error"))
    return Reply(200, [_out(s, errors) for s in rows])


@router.post("/tenants/{code}/schedules", response={201: ScheduleOut, **ERRORS},
             summary="Email a weekly or monthly report to a user of the client (07:00 in their time zone)")
def create_schedule(request: HttpRequest, code: str, payload: ScheduleIn):
    tenant = _tenant(request, code, Perm.CONFIGURE)
    # Only this client's users: someone else's user reads exactly like no such user.
    recipient = scoping.tenant_member(tenant.pk, payload.recipient)
    if recipient is None:
        raise InvalidInput("the recipient is not a user of this client", fields={"recipient": "not a user of this client"})
    schedule = schedules.create_schedule(tenant=tenant, recipient=recipient, frequency=payload.frequency,
                                         format=payload.format, time_zone=payload.time_zone, now=timezone.now())
    return Reply(201, _out(schedule, {}))
