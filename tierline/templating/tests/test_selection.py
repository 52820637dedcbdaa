"""Which template is chosen: tenant rows by language, with the built-in English text last."""

import pytest
from django.db import IntegrityError, transaction

from tierline.templating.defaults import BUILTIN
from tierline.templating.lang import fallback_chain, normalize_language
from tierline.templating.models import CommunicationTemplate
from tierline.templating.selection import choose_template, render_for
from tierline.testing.factories import CustomerFactory


def tpl(tenant, language, kind="acknowledgement", **kw):
    values = dict(subject=f"[{language}] {{{{ escalation.reference }}}}", body_text=f"{language}: {{{{ customer.name }}}}",
                  body_html="")
    values.update(kw)
    return CommunicationTemplate.objects.create(tenant=tenant, kind=kind, language=language, **values)


@pytest.mark.parametrize("code, normal", [("pt_br", "pt-BR"), ("PT-br", "pt-BR"), ("EN", "en"),
                                          ("zh-hant-tw", "zh-Hant-TW"), ("es-419", "es-419")])
def test_language_normalisation(code, normal):
    assert normalize_language(code) == normal


def test_fallback_chain_order():
    assert fallback_chain("pt-BR", "fr-CA") == ["pt-BR", "pt", "fr-CA", "fr", "en"]
    assert fallback_chain("en-GB", "en") == ["en-GB", "en"]
    assert fallback_chain("not a language!", None) == ["en"]
    assert fallback_chain(None, "") == ["en"]


def test_fallback_chain_against_the_database(world):
    tenant = world.tenant
    tenant.default_language = "fr"
    tenant.save()
    assert choose_template(tenant, "acknowledgement", "pt-BR").source == "builtin:en"
    en = tpl(tenant, "en")
    assert choose_template(tenant, "acknowledgement", "pt-BR").source == "tenant:en:v1"
    fr = tpl(tenant, "fr")
    assert choose_template(tenant, "acknowledgement", "pt-BR").source == "tenant:fr:v1"
    tpl(tenant, "pt")
    assert choose_template(tenant, "acknowledgement", "pt-BR").source == "tenant:pt:v1"
    exact = tpl(tenant, "pt-BR")
    chosen = choose_template(tenant, "acknowledgement", "pt_br")
    assert chosen.source == "tenant:pt-BR:v1" and chosen.subject == exact.subject and chosen.html is None
    assert choose_template(tenant, "acknowledgement", "de").source == "tenant:fr:v1"
    fr.is_active = False
    fr.save()
    assert choose_template(tenant, "acknowledgement", "de").source == "tenant:en:v1"
    en.delete()
    builtin = choose_template(tenant, "acknowledgement", "de")
    assert builtin == (*BUILTIN["acknowledgement"], "builtin:en")
    assert choose_template(tenant, "resolved", "pt-BR").source == "builtin:en"  # other kinds are separate


def test_other_tenants_templates_are_never_used(world):
    tpl(world.other_tenant, "en", subject="GLOBEX {{ escalation.reference }}")
    assert choose_template(world.tenant, "acknowledgement", "en").source == "builtin:en"


def test_unknown_kind_is_refused(world):
    with pytest.raises(ValueError, match="unknown template kind"):
        choose_template(world.tenant, "newsletter", "en")


def test_version_bumps_and_unique_per_tenant_kind_language(world):
    row = tpl(world.tenant, "pt_BR")
    assert (row.language, row.version) == ("pt-BR", 1)
    row.subject = "Novo {{ escalation.reference }}"
    row.save()
    row.refresh_from_db()
    assert row.version == 2
    assert choose_template(world.tenant, "acknowledgement", "pt-BR").source == "tenant:pt-BR:v2"
    with pytest.raises(IntegrityError), transaction.atomic():
        tpl(world.tenant, "pt-br")


def test_render_for_uses_the_customers_language_and_reports_the_source(world):
    tpl(world.tenant, "pt", subject="Recebemos {{ escalation.reference }}",
        body_html="<p>Olá {{ customer.first_name }}</p>")
    customer = CustomerFactory(tenant=world.tenant, name="João <b>Silva</b>", language="pt-BR")
    esc = world.escalation(customer=customer)
    rendered = render_for(esc, "acknowledgement", now=world.now)
    assert rendered.subject == f"Recebemos {esc.reference}" and rendered.source == "tenant:pt:v1"
    assert rendered.text == "pt: João <b>Silva</b>" and rendered.html == "<p>Olá João</p>"
    english = render_for(esc, "acknowledgement", now=world.now, language="en")
    assert english.source == "builtin:en" and "Hello João" in english.text


@pytest.mark.parametrize("kind", sorted(BUILTIN))
def test_built_in_templates_escape_hostile_values_without_the_sanitiser(world, kind):
    """Built-in templates skip the HTML sanitiser (render(builtin=True)): that is only safe while
    every value they show is escaped. A customer and a title made of markup stay text."""
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>'
    customer = CustomerFactory(tenant=world.tenant, name=hostile, email="victim@example.com")
    esc = world.escalation(title=hostile[:200], customer=customer, description=hostile)
    rendered = render_for(esc, kind, now=world.now, status_link="https://status.example/s/abc")
    assert rendered.source == "builtin:en"
    if rendered.html:
        lowered = rendered.html.lower()
        assert "<script" not in lowered and "<img" not in lowered and 'href="javascript:' not in lowered
        assert "&lt;script&gt;" in rendered.html  # shown, as text
