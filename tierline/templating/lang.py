"""Language tags ("en", "fr", "pt-BR") and the order in which templates are looked for. Pure."""

from __future__ import annotations

import re

BUILTIN_LANGUAGE = "en"
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def is_valid_language(code: str) -> bool:
    return bool(code) and len(code) <= 16 and bool(_TAG.match(code))


def normalize_language(code: str) -> str:
    """BCP 47 casing, so that "pt_br", "PT-br" and "pt-BR" are the same row: pt-BR, zh-Hant-TW."""
    parts = code.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha() or len(part) == 3 and part.isdigit():
            out.append(part.upper())  # region
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())  # script
        else:
            out.append(part.lower())
    return "-".join(out)


def primary(code: str) -> str:
    return normalize_language(code).split("-")[0]


def fallback_chain(language: str | None, tenant_default: str | None) -> list[str]:
    """Where to look, best first: exact → primary → tenant default (exact, primary) → "en".

    Invalid or empty codes are skipped rather than refused: a customer record with a bad
    language must still get a message, in the tenant's language or in English.
    """
    chain: list[str] = []
    for code in (language, tenant_default, BUILTIN_LANGUAGE):
        if code and is_valid_language(code):
            for candidate in (normalize_language(code), primary(code)):
                if candidate not in chain:
                    chain.append(candidate)
    return chain
