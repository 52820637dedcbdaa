"""Customer communication templates, per tenant, kind and language, edited by admins."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from tierline.templating.choices import Kind
from tierline.templating.lang import is_valid_language, normalize_language
from tierline.templating.render import MAX_SOURCE_CHARS
from tierline.tenancy.models import TenantOwned


def validate_language(value: str) -> None:
    if not is_valid_language(value):
        raise ValidationError("Use a language tag such as en, fr or pt-BR.")


class CommunicationTemplate(TenantOwned):
    kind = models.CharField(max_length=24, choices=Kind.choices)
    language = models.CharField(max_length=16, validators=[validate_language],
                                help_text="A language tag such as en, fr or pt-BR.")
    subject = models.CharField(max_length=1000)
    body_text = models.TextField(max_length=MAX_SOURCE_CHARS, verbose_name="plain-text body")
    body_html = models.TextField(max_length=MAX_SOURCE_CHARS, blank=True, verbose_name="HTML body",
                                 help_text="Optional. Empty: the message is sent as plain text only.")
    is_active = models.BooleanField(default=True,
                                    help_text="Inactive templates are skipped: the next language in the "
                                              "fallback order (finally the built-in English text) is used.")
    # Bumped on every save so a sent message can say exactly which text it was rendered from.
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "kind", "language"]
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "language"],
                                               name="communication_template_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"

    def clean_fields(self, exclude=None):
        if self.language and is_valid_language(self.language):
            self.language = normalize_language(self.language)
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs):
        if self.language and is_valid_language(self.language):
            self.language = normalize_language(self.language)
        if not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)
