"""The append-only, hash-chained escalation log."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tierline.audit.event_types import EVENT_TYPE_CHOICES, EventType
from tierline.core.errors import WritePathViolation
from tierline.core.writepath import require_write_path
from tierline.privacy.keys import open_events
from tierline.tenancy.models import Tenant, TenantOwned


class ActorKind(models.TextChoices):
    USER = "user", "User"
    CUSTOMER = "customer", "Customer"
    API_TOKEN = "api_token", "API token"
    SYSTEM = "system", "System rule"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise WritePathViolation("events are append-only: update() is refused")

    def delete(self):
        raise WritePathViolation("events are append-only: delete() is refused")

    def bulk_update(self, *args, **kwargs):
        raise WritePathViolation("events are append-only: bulk_update() is refused")

    def bulk_create(self, objs, *args, **kwargs):
        require_write_path("Event")
        return super().bulk_create(objs, *args, **kwargs)

    def _fetch_all(self):
        # Loaded events show the customer's text opened (or "[erased]"), one key query per list;
        # chain_payload() still hashes the sealed form. iterator() (audit verify) skips this.
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and self._iterable_class is models.query.ModelIterable:

            open_events(self._result_cache)


class ChainHead(models.Model):
    """The last sequence number and hash of a tenant's chain; locked to append."""

    tenant = models.OneToOneField(Tenant, on_delete=models.PROTECT, primary_key=True, related_name="chain_head")
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.tenant_id}@{self.seq}"


class Event(TenantOwned):
    seq = models.BigIntegerField()
    escalation = models.ForeignKey(
        "escalations.Escalation", on_delete=models.PROTECT, related_name="events", db_index=False
    )
    type = models.PositiveSmallIntegerField(choices=EVENT_TYPE_CHOICES)
    occurred_at = models.DateTimeField()
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_token = models.ForeignKey(
        "accounts.ApiToken", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_customer = models.ForeignKey(
        "tenancy.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "seq"], name="event_seq_unique_per_tenant")]
        indexes = [models.Index(fields=["escalation", "seq"], name="event_by_escalation")]
        ordering = ["seq"]
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"#{self.seq} {self.type_code}"

    @property
    def event_type(self) -> EventType:
        return EventType(self.type)

    @property
    def type_code(self) -> str:
        return EventType(self.type).code

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise WritePathViolation("events are append-only: an event cannot be changed")
        require_write_path("Event")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise WritePathViolation("events are append-only: an event cannot be deleted")

    def chain_payload(self) -> dict:
        """What the hash covers: every column but the hashes themselves."""
        return {
            "tenant": self.tenant_id,
            "seq": self.seq,
            "escalation": self.escalation_id,
            "type": self.type,
            "occurred_at": self.occurred_at,
            "actor": {
                "kind": self.actor_kind,
                "user": self.actor_user_id,
                "token": self.actor_token_id,
                "customer": self.actor_customer_id,
                "label": self.actor_label,
            },
            "data": self.stored_data,
        }

    @property
    def stored_data(self):
        """`data` as stored: with the customer's text sealed (tierline/privacy), not the opened
        text a reader sees — unless `data` has been given a new value since it was opened."""
        opened = self.__dict__.get("_opened_data")
        return self.__dict__["_sealed_data"] if opened is not None and opened is self.data else self.data

    def show_opened(self, sealed, opened) -> None:
        self._sealed_data, self._opened_data, self.data = sealed, opened, opened

class AccessChannel(models.TextChoices):
    PAGE = "page", "Web page"
    API = "api", "API"
    BUNDLE = "bundle", "Evidence bundle"


class EscalationAccess(TenantOwned):
    """Who read which escalation, and when: one row per read of the detail page, the API detail
    or an evidence bundle. Written with one INSERT and never changed (not part of the hash chain:
    reads are far more frequent than changes, and the bundle that carries them is signed)."""

    escalation = models.ForeignKey("escalations.Escalation", on_delete=models.PROTECT, related_name="+",
                                   db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    token = models.ForeignKey("accounts.ApiToken", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    channel = models.CharField(max_length=10, choices=AccessChannel.choices)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["escalation", "-at"], name="access_by_escalation"),
                   models.Index(fields=["tenant", "-at"], name="access_by_tenant")]
        verbose_name_plural = "escalation accesses"

    def __str__(self) -> str:
        return f"{self.escalation_id} read by {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
