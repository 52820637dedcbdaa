"""Domain errors. Every one carries a stable machine code; the API maps them to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """A refused change. `code` is stable and machine-readable; `message` is for people."""

    http_status = 409
    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class IllegalTransition(DomainError):
    code = "illegal_transition"


class InvalidInput(DomainError):
    http_status = 422
    code = "invalid"


class NotFound(DomainError):
    http_status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    http_status = 403
    code = "forbidden"


class StaleVersion(DomainError):
    """The caller's copy is older than the stored row (optimistic concurrency)."""

    http_status = 412
    code = "stale_version"


class NoChange(DomainError):
    """The requested change would leave the record as it is; nothing was written."""

    code = "no_change"


class WritePathViolation(RuntimeError):
    """Escalation or event rows written outside the actions module. A programming error."""
