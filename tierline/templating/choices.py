"""Stable codes for the kinds of customer communication (stored values never change)."""

from django.db import models


class Kind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    ESCALATED = "escalated", "Escalated to a higher level"
    STATUS_UPDATE = "status_update", "Status update"
    WAITING_FOR_YOU = "waiting_for_you", "Waiting for you (pending customer reminder)"
    RESOLVED = "resolved", "Resolved"
    SATISFACTION_SURVEY = "satisfaction_survey", "Satisfaction survey"
