"""Stable codes for tenancy enums. Values are stored; labels are for display only."""

from django.db import models

from tierline.accounts.roles import Role  # noqa: F401  (roles belong to the permission table; re-exported for tenancy's models)


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
