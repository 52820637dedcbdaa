"""Membership roles: stored codes. They live beside the role -> permission table that reads them."""

from django.db import models


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    SPECIALIST = "specialist", "Specialist"
    SUPERVISOR = "supervisor", "Supervisor"
    MANAGER = "manager", "Manager"
    EXECUTIVE = "executive", "Executive"
    COMPLIANCE = "compliance", "Compliance officer"
    ADMIN = "admin", "BPO admin"
    CLIENT_VIEWER = "client_viewer", "Client viewer"
