"""Which template a customer gets (tenant row or built-in, by language), and rendering it."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from tierline.core.batchmemo import memo
from tierline.templating.choices import Kind
from tierline.templating.context import build_context
from tierline.templating.defaults import BUILTIN
from tierline.templating.lang import BUILTIN_LANGUAGE, fallback_chain
from tierline.templating.models import CommunicationTemplate
from tierline.templating.render import Rendered, render


class Chosen(NamedTuple):
    subject: str
    text: str
    html: str | None
    source: str  # "tenant:<language>:v<version>" or "builtin:en"


def choose_template(tenant, kind: str, language: str | None) -> Chosen:
    """The tenant's active template in the best language, else the built-in English one.

    Order: exact language (pt-BR) → its primary language (pt) → the tenant's default language
    (exact, then primary) → the tenant's own "en" template → the built-in English template.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown template kind {kind!r} (expected one of {', '.join(Kind.values)})")
    chain = fallback_chain(language, tenant.default_language)
    rows = memo(("templates", tenant.pk, kind, tuple(chain)), lambda: {row.language: row for row in (
        CommunicationTemplate.objects.filter(tenant=tenant, kind=kind, is_active=True, language__in=chain))})
    for code in chain:
        if row := rows.get(code):
            return Chosen(row.subject, row.body_text, row.body_html or None,
                          f"tenant:{row.language}:v{row.version}")
    builtin = BUILTIN[kind]
    return Chosen(builtin.subject, builtin.text, builtin.html, f"builtin:{BUILTIN_LANGUAGE}")


def render_for(escalation, kind: str, *, now: dt.datetime, status_link: str | None = None,
               language: str | None = None, events: list[dict] | None = None) -> Rendered:
    """Render the right template for this escalation's customer; raises TemplateProblem.

    language defaults to the customer's language, then the tenant's default language.
    Rendered.source says which template was used (for the "customer contacted" event).
    """
    if language is None:
        language = escalation.customer.language if escalation.customer_id else escalation.tenant.default_language
    chosen = choose_template(escalation.tenant, kind, language)
    rendered = render(chosen[:3], build_context(escalation, now=now, status_link=status_link, events=events),
                      builtin=chosen.source.startswith("builtin:"))
    return rendered._replace(source=chosen.source)
