"""Users and API tokens. Roles live on tenancy.Membership (a role is always per tenant)."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models

TOKEN_PREFIX = "tl"


class User(AbstractUser):
    display_name = models.CharField(max_length=150, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=16, default="en")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def label(self) -> str:
        return str(self)


class ApiToken(models.Model):
    """A per-user bearer token. Only a SHA-256 of the secret is stored.

    Tokens carry 256 bits of randomness, so a fast hash is enough: there is nothing for a slow
    password hash to protect against, and every API request checks one.
    """

    class Scope(models.TextChoices):
        READ = "read", "read"
        WRITE = "write", "read and write"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.WRITE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, *, name: str, now, scope: str = Scope.WRITE, expires_at=None) -> tuple[ApiToken, str]:
        """Create a token and return it with the plain text, which is shown once and never stored."""
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        plain = f"{TOKEN_PREFIX}_{prefix}_{secret}"
        token = cls.objects.create(
            user=user, name=name, prefix=prefix, digest=cls.digest_of(plain), scope=scope,
            created_at=now, expires_at=expires_at,
        )
        return token, plain

    def is_usable(self, now) -> bool:
        if self.revoked_at is not None and self.revoked_at <= now:
            return False
        return not (self.expires_at is not None and self.expires_at <= now)
