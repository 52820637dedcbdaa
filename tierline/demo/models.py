"""How far the demo load has got: one row, written in the load's own transactions, read by the
banner every page shows while the history streams in."""

from __future__ import annotations

from django.db import models


class DemoLoad(models.Model):
    """The single row (pk 1) that says a demo load began, how far it is, and whether it finished.
    Created in the same transaction as the demo tenants, so two loaders cannot both start."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"demo load {self.done}/{self.total}{' (finished)' if self.finished else ''}"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None
