"""Status links: the customer's login-free window onto one escalation.

Only a SHA-256 of the secret is stored (as for API tokens): the link carries 256 bits of
randomness, so a fast hash is enough, and a stolen database copy yields no usable links.
Issuing and revoking are recorded on the row itself (who and when), not in the escalation's
event log: the log has no event type for them and its types are not extended casually.
"""

from __future__ import annotations

import hashlib

from django.db import models

from tierline.tenancy.models import TenantOwned


class StatusLink(TenantOwned):
    escalation = models.ForeignKey("escalations.Escalation", on_delete=models.CASCADE,
                                   related_name="status_links")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "escalation"], name="statuslink_by_escalation")]

    def __str__(self) -> str:
        return f"status link #{self.pk} for escalation {self.escalation_id}"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now
