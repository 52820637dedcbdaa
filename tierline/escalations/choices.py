"""Stable codes for escalation enums (stored values never change; labels are display only)."""

from django.db import models


class EscalationType(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    BILLING = "billing", "Billing / payment"
    CUSTOMER_EXPERIENCE = "customer_experience", "Customer experience / service quality"
    COMPENSATION = "compensation", "Compensation / refund"
    COMPLIANCE = "compliance", "Compliance / policy / regulatory"
    SLA_BREACH = "sla_breach", "SLA breach"
    PRODUCT = "product", "Product"
    ACCOUNT = "account", "Account"
    WORKFORCE = "workforce", "Workforce / HR"
    PROCESS = "process", "Process / operational"
    DISPUTE = "dispute", "Dispute / complaint"
    SECURITY = "security", "Security"
    EXECUTIVE = "executive", "Executive / VIP"


class Trigger(models.TextChoices):
    HIERARCHICAL = "hierarchical", "Hierarchical"
    FUNCTIONAL = "functional", "Functional"
    TIME_BASED = "time_based", "Time-based"
    PRIORITY_BASED = "priority_based", "Priority-based"
    CLIENT_INITIATED = "client_initiated", "Client-initiated"
    RULE = "rule", "Rule"


class Priority(models.TextChoices):
    P1 = "P1", "P1 critical"
    P2 = "P2", "P2 high"
    P3 = "P3", "P3 medium"
    P4 = "P4", "P4 low"


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    SOCIAL = "social", "Social"
    PORTAL = "portal", "Portal"
    API = "api", "API"


class Status(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    PENDING_THIRD_PARTY = "pending_third_party", "Pending third party"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class LinkKind(models.TextChoices):
    DUPLICATE_OF = "duplicate_of", "Duplicate of"
    RELATED_TO = "related_to", "Related to"
    PARENT_OF = "parent_of", "Parent of"
    CHILD_OF = "child_of", "Child of"


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", "Fixed"
    WORKAROUND = "workaround", "Workaround provided"
    INFORMATION = "information", "Information given"
    REFUND = "refund", "Refund / compensation"
    POLICY_EXCEPTION = "policy_exception", "Policy exception granted"
    NO_FAULT = "no_fault", "No fault found"
    DUPLICATE = "duplicate", "Duplicate"
    CUSTOMER_WITHDREW = "customer_withdrew", "Customer withdrew"


class RootCauseCategory(models.TextChoices):
    PRODUCT_DEFECT = "product_defect", "Product defect"
    PROCESS_GAP = "process_gap", "Process gap"
    TRAINING = "training", "Agent training / knowledge"
    THIRD_PARTY = "third_party", "Third party / vendor"
    INFRASTRUCTURE = "infrastructure", "Infrastructure / outage"
    POLICY = "policy", "Policy"
    CUSTOMER_ERROR = "customer_error", "Customer error"
    BILLING_ERROR = "billing_error", "Billing error"
    COMMUNICATION = "communication", "Communication"
    UNKNOWN = "unknown", "Unknown"
