"""Audit endpoints: the access log, evidence bundles, multi-escalation exports, the public key."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema
from pydantic import AwareDatetime, Field, StringConstraints

from tierline.audit import access, signing
from tierline.escalations import queries
from tierline.kit import ErrorOut, Strict
from tierline.reports import evidence

router = Router(tags=["audit"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 503: ErrorOut}


class AccessUser(Schema):
    id: int
    username: str


class AccessOut(Schema):
    at: AwareDatetime
    channel: str
    user: AccessUser | None
    token: str | None


class PublicKeyOut(Schema):
    key_id: str
    algorithm: str
    public_key_pem: str


class ExportIn(Strict):
    # A reference is the tenant's code and a number (ACME-00042): anything else is a 422 here, not a
    # lookup the database would refuse (PostgreSQL text cannot hold NUL).
    references: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]] = Field(
        min_length=1, max_length=evidence.MAX_EXPORT)


def _zip(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/public-key", auth=None, response={200: PublicKeyOut}, summary="The evidence-signing public key",
            description="Public on purpose: whoever receives a bundle checks its signature against this key.")
def public_key(request: HttpRequest):
    return {"key_id": signing.fingerprint(), "algorithm": "Ed25519", "public_key_pem": signing.public_pem().decode()}


@router.get("/escalations/{reference}/access-log", response={200: list[AccessOut], **ERRORS},
            summary="Who read this escalation, when (compliance, manager, admin)")
def access_log(request: HttpRequest, reference: str):
    esc = queries.get_escalation(request.actor, reference)
    return [access.access_dict(r) for r in access.access_log(esc, request.actor, limit=1000)]


@router.get("/escalations/{reference}/bundle", response={**ERRORS},
            summary="Signed evidence bundle (zip: JSON + PDF + Ed25519 signature)",
            operation_id="audit_evidence_bundle")
def bundle(request: HttpRequest, reference: str):
    esc = queries.get_escalation(request.actor, reference)
    return _zip(evidence.bundle(esc, request.actor, timezone.now()), f"{esc.reference}-evidence.zip")


@router.post("/exports", response={**ERRORS}, summary="Evidence bundles of chosen escalations in one signed zip",
             operation_id="audit_evidence_export")
def export(request: HttpRequest, body: ExportIn):
    chosen = evidence.select(request.actor, body.references)
    now = timezone.now()
    return _zip(evidence.export(chosen, request.actor, now), f"evidence-export-{now:%Y%m%d-%H%M%S}.zip")
