"""Stable codes for tenancy enums. Values are stored; labels are for display only."""

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


class CustomerTier(models.TextChoices):
    STANDARD = "standard", "Standard"
    GOLD = "gold", "Gold"
    VIP = "vip", "VIP"


class TeamLevel(models.IntegerChoices):
    FRONTLINE = 1, "L1 frontline"
    SPECIALIST = 2, "L2 specialist"
    EXPERT = 3, "L3 expert"
    MANAGEMENT = 4, "L4 management"
    EXECUTIVE = 5, "L5 executive"


class TeamFunction(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    BILLING = "billing", "Billing"
    COMPLIANCE = "compliance", "Compliance"
    PRODUCT = "product", "Product"
    ACCOUNT = "account", "Account"
    CUSTOMER_CARE = "customer_care", "Customer care"
    WORKFORCE = "workforce", "Workforce / HR"
    IT = "it", "IT"
    EXECUTIVE_OFFICE = "executive_office", "Executive office"
