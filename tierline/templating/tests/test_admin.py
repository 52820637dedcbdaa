"""The admin refuses unsafe or broken templates with line and column, and previews saved ones."""

import html
import re

import pytest
from django.urls import reverse

from tierline.templating.defaults import BUILTIN
from tierline.templating.models import CommunicationTemplate
from tierline.templating.schema import SAMPLE_CONTEXT
from tierline.testing.factories import UserFactory


@pytest.fixture
def root_client(client, world):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def form(world, **kw):
    data = {"tenant": world.tenant.pk, "kind": "acknowledgement", "language": "fr", "is_active": "on",
            "subject": "Demande {{ escalation.reference }}", "body_text": "Bonjour {{ customer.first_name }}",
            "body_html": "<p>Bonjour {{ customer.first_name }}</p>"}
    data.update(kw)
    return data


def page_text(response) -> str:
    return html.unescape(response.content.decode())


ADD = "admin:templating_communicationtemplate_add"


def test_admin_refuses_unsafe_template_with_line_and_column(root_client, world):
    body = "Bonjour {{ customer.first_name }},\n\nVotre dossier {{ escalation.__class__ }}"
    response = root_client.post(reverse(ADD), form(world, body_text=body))
    assert response.status_code == 200  # the form again, not a redirect
    assert "line 3, column 29: access to attribute '__class__' is not allowed" in page_text(response)
    assert not CommunicationTemplate.objects.exists()


@pytest.mark.parametrize("field, source, message", [
    ("subject", "{{ escalation.reference }", "line 1, column 25: unexpected '}'"),
    ("body_html", "<p>\n{% for x in range(10**9) %}{{ x }}{% endfor %}</p>",
     "line 2, column 4: loops are not available"),
    ("body_text", "{{ ''.__class__.__mro__ }}", "line 1, column 7: access to attribute '__class__' is not allowed"),
    ("body_text", "{{ escalation.description }}", "line 1, column 15: access to attribute 'description'"),
    ("body_text", "x" * 20_001, "Ensure this value has at most 20000 characters"),
], ids=["syntax", "loop", "dunder", "undocumented-field", "too-long"])
def test_admin_refuses_broken_templates(root_client, world, field, source, message):
    response = root_client.post(reverse(ADD), form(world, **{field: source}))
    assert response.status_code == 200 and message in page_text(response)
    assert not CommunicationTemplate.objects.exists()


def test_admin_saves_a_good_template_and_normalises_language(root_client, world):
    response = root_client.post(reverse(ADD), form(world, language="pt_br"))
    assert response.status_code == 302
    row = CommunicationTemplate.objects.get()
    assert (row.tenant, row.language, row.version) == (world.tenant, "pt-BR", 1)
    duplicate = root_client.post(reverse(ADD), form(world, language="PT-BR"))
    assert duplicate.status_code == 200 and CommunicationTemplate.objects.count() == 1


def test_change_page_previews_the_saved_template(root_client, world):
    row = CommunicationTemplate.objects.create(
        tenant=world.tenant, kind="status_update", language="en",
        subject="Update on {{ escalation.reference }}",
        body_text="Hi {{ customer.first_name }}, status: {{ escalation.status }}.",
        body_html="<h1>{{ escalation.title }}</h1><script>alert(1)</script>")
    response = root_client.get(reverse("admin:templating_communicationtemplate_change", args=[row.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    sample = SAMPLE_CONTEXT["escalation"]
    assert f"Update on {sample['reference']}" in content
    assert f"Hi Dana, status: {sample['status']}." in content
    # The HTML is only ever inside a sandboxed iframe's srcdoc, escaped: never live in the admin page.
    iframe = re.search(r'<iframe sandbox="" srcdoc="([^"]*)"', content)
    # …and the preview is what the customer gets: sanitised (nh3), so the script is gone.
    assert iframe and html.unescape(iframe.group(1)) == f"<h1>{sample['title']}</h1>"
    assert "<script>alert(1)</script>" not in content
    assert "escalation.latest_public_reply" in content  # the variable list


def test_preview_of_a_template_that_fails_at_runtime_shows_the_problem(root_client, world):
    row = CommunicationTemplate.objects.create(tenant=world.tenant, kind="resolved", language="en",
                                               subject="s", body_text="{{ escalation.level / 0 }}")
    response = root_client.get(reverse("admin:templating_communicationtemplate_change", args=[row.pk]))
    assert response.status_code == 200 and "division by zero" in page_text(response)


def test_add_page_starts_from_the_builtin_text(root_client, world):
    response = root_client.get(reverse(ADD) + "?kind=resolved")
    assert response.status_code == 200
    assert BUILTIN["resolved"].subject in page_text(response)
