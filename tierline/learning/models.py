"""Learned routing models, one versioned artefact per training run, and the tenant's threshold."""

from __future__ import annotations

from django.db import models

from tierline.tenancy.models import TenantOwned


class RoutingModel(TenantOwned):
    """A trained artefact (joblib bytes) with its model card. Rows are never changed: a new
    training run is a new version, so an escalation routed by v3 can always be traced to v3."""

    version = models.PositiveIntegerField()
    trained_at = models.DateTimeField()
    card = models.JSONField(default=dict)
    artefact = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "version"], name="routing_model_version_unique")]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"routing model v{self.version} of {self.tenant.code}"


class LearningSettings(TenantOwned):
    auto_route_threshold = models.FloatField(
        default=1.01, help_text="a learned team suggestion at or above this confidence routes a case that no "
                                "matrix rule routes; above 1 it is only ever shown, never applied")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="learning_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"learning settings of {self.tenant.code}"
