"""A logging filter that masks personal data in application log records.

Configured on the console handler in settings.LOGGING, so it applies to every record whatever
logger wrote it. Masks email addresses, phone numbers, and the names of known customers (read
from the database at most once a minute, longest names first; names shorter than four
characters are left alone, they would mask ordinary words).
"""

from __future__ import annotations

import logging
import re
import time

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# International (+ and 7–15 digits, spaced or not) or national (a leading 0, groups of digits)
# numbers; not references (ACME-2026-000123), dates, times or counters.
PHONE = re.compile(
    r"(?<![\w/-])(?:\+\d(?:[ ().-]{0,2}\d){6,14}|\(?0\d{2,4}\)?[ -]?\d{3,4}[ -]?\d{3,4})(?![\w/-])")
NAMES_TTL = 60.0
MIN_NAME = 4
MAX_NAMES = 50_000  # beyond this the pattern costs more than it is worth; emails and phones still go


class _Names:
    def __init__(self):
        self.pattern: re.Pattern | None = None
        self.loaded_at = float("-inf")

    def get(self) -> re.Pattern | None:
        if time.monotonic() - self.loaded_at > NAMES_TTL:
            self.loaded_at = time.monotonic()
            self.pattern = self._load()
        return self.pattern

    @staticmethod
    def _load() -> re.Pattern | None:
        try:
            # Not at module level: LOGGING loads this filter while settings load, before any model exists.
            from tierline.tenancy.models import Customer

            rows = Customer.objects.filter(erasure__isnull=True).values_list("name", flat=True)[:MAX_NAMES]
            names = {n.strip() for n in rows
                     if n and len(n.strip()) >= MIN_NAME}
        except Exception:  # no database yet (migrations, start-up): mask what the patterns catch
            return None
        if not names:
            return None
        return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)), re.IGNORECASE)


names = _Names()


def redact(text: str) -> str:
    text = EMAIL.sub("[email]", text)
    text = PHONE.sub("[phone]", text)
    pattern = names.get()
    return pattern.sub("[name]", text) if pattern is not None else text


class RedactPII(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not ours to hide
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
