"""Where mail comes in (per tenant) and what became of each message.

InboundMail is the idempotency record: its unique key is the Message-ID, written in the same
transaction as whatever the mail did, so a message fetched twice (a poller that died before it
could flag the mail as seen, two pollers on one mailbox) acts once.

Its tenant may be empty: mail is received before anyone knows whose it is, and some never
belongs to anyone (a stranger writing to the reply address, a bounce of a bounce). One mailbox
feeds every tenant, so the Message-ID must be unique across all of them — one table with one
global key does that; a second, tenant-less table would need the same key checked in two places.
Tenant-scoped reads (`tenant=…`) never see the empty-tenant rows; only BPO admins do.
"""

from __future__ import annotations

from django.db import models

from tierline.escalations.choices import Channel
from tierline.tenancy.models import Tenant, TenantOwned


class IntakeAddress(TenantOwned):
    """Mail to this address that answers no escalation opens a new one for the tenant."""

    address = models.EmailField(unique=True, help_text="stored in lower case, e.g. support@acme.example")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "intake addresses"
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    def save(self, *args, **kwargs):
        # Mail addresses are matched case-insensitively: store them one way.
        self.address = (self.address or "").strip().lower()
        super().save(*args, **kwargs)


class InboundMail(TenantOwned):
    class Outcome(models.TextChoices):
        REPLY = "reply", "Customer reply added"
        CLIENT_ESCALATION = "client_escalation", "Client escalation requested"
        CLIENT_ESCALATION_RATE_LIMITED = "client_escalation_rate_limited", "Client escalation rate limited"
        CREATED = "created", "Escalation created"
        REFUSED = "refused", "Refused by the escalation (closed, reply window over, …)"
        IGNORED_AUTOREPLY = "ignored_autoreply", "Ignored: auto-reply, bounce or list mail"
        IGNORED_UNKNOWN_SENDER = "ignored_unknown_sender", "Ignored: sender is not the escalation's customer"
        REJECTED_TOO_LARGE = "rejected_too_large", "Rejected: too large"
        UNMATCHED = "unmatched", "Unmatched: no escalation, intake address or route"
        ERROR = "error", "Error"

    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.PROTECT)
    message_key = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the Message-ID")
    message_id = models.TextField()
    received_at = models.DateTimeField()
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    size = models.PositiveIntegerField()
    outcome = models.CharField(max_length=40, choices=Outcome.choices)
    escalation = models.ForeignKey("escalations.Escalation", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Why an outcome happened: the refusal, the auto-reply header, files that were not kept.
    detail = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "received_at"], name="inboundmail_by_tenant"),
                   models.Index(fields=["outcome", "received_at"], name="inboundmail_by_outcome")]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.outcome}"
