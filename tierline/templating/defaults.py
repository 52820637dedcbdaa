"""Built-in English templates, one per kind: what a customer gets when the tenant has none.

They are ordinary templates held to the same rules as admin-written ones (a test renders each
against a real escalation and runs the static check), and they double as starting points: the
admin's "add" page is pre-filled with the built-in text for the chosen kind.
"""

from __future__ import annotations

from typing import NamedTuple


class DefaultTemplate(NamedTuple):
    subject: str
    text: str
    html: str


_GREETING_TEXT = 'Hello {{ customer.first_name or "there" }},\n'
_GREETING_HTML = '<p>Hello {{ customer.first_name or "there" }},</p>\n'

_SIGN_OFF_TEXT = """
Kind regards,
{% if owner.name %}
{{ owner.name }}
{% endif %}
{{ tenant.name }} customer care
"""

_SIGN_OFF_HTML = """<p>Kind regards,<br>
{% if owner.name %}{{ owner.name }}<br>{% endif %}
{{ tenant.name }} customer care</p>
"""

# trim_blocks eats the newline after a block tag: hence the doubled newlines around the if.
_STATUS_LINK_TEXT = """{% if status_page_url %}

You can follow progress at any time at {{ status_page_url }}
{% endif %}
"""

_STATUS_LINK_HTML = """{% if status_page_url %}
<p><a href="{{ status_page_url }}">Follow the progress of your request</a></p>
{% endif %}"""

_SUMMARY_TEXT = """
  Reference: {{ escalation.reference }}
  Subject:   {{ escalation.title }}
  Status:    {{ escalation.status }}
"""

_SUMMARY_HTML = """<table role="presentation" cellpadding="4" style="border-collapse:collapse;margin:12px 0">
<tr><td style="color:#555">Reference</td><td><strong>{{ escalation.reference }}</strong></td></tr>
<tr><td style="color:#555">Subject</td><td>{{ escalation.title }}</td></tr>
<tr><td style="color:#555">Status</td><td>{{ escalation.status }}</td></tr>
</table>
"""


def _html(body: str, *, link: bool = True) -> str:
    return ('<div style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#222;'
            'max-width:640px">\n' + _GREETING_HTML + body + (_STATUS_LINK_HTML + "\n" if link else "")
            + _SIGN_OFF_HTML
            + '<p style="font-size:12px;color:#777">Please keep the reference {{ escalation.reference }} '
              "in the subject line when you reply.</p>\n</div>\n")


def _text(body: str, *, link: bool = True) -> str:
    return (_GREETING_TEXT + body + (_STATUS_LINK_TEXT if link else "") + _SIGN_OFF_TEXT
            + "\nPlease keep the reference {{ escalation.reference }} in the subject line when you reply.\n")


_ACK_TEXT = """
Thank you for contacting {{ tenant.name }}. We have received your request and it is now being
handled by our {{ escalation.team }} team.
""" + _SUMMARY_TEXT + """  Priority:  {{ escalation.priority }}
  Opened:    {{ escalation.created_at }}

{% if sla.first_response %}
First response target: {{ sla.first_response }}.

{% endif %}
We will keep you informed as we make progress.
"""

_ACK_HTML = """<p>Thank you for contacting {{ tenant.name }}. We have received your request and it is now being
handled by our {{ escalation.team }} team.</p>
""" + _SUMMARY_HTML + """{% if sla.first_response %}
<p>First response target: {{ sla.first_response }}.</p>
{% endif %}
<p>We will keep you informed as we make progress.</p>
"""

_ESCALATED_TEXT = """
To make sure your request receives the attention it needs, we have escalated it to our
{{ escalation.team }} team, who have the specialist knowledge and authority to resolve it.
""" + _SUMMARY_TEXT + """
{% if owner.name %}
{{ owner.name }} is now responsible for your request.
{% endif %}
There is nothing you need to do; we will contact you if we need more information.
"""

_ESCALATED_HTML = """<p>To make sure your request receives the attention it needs, we have escalated it to our
<strong>{{ escalation.team }}</strong> team, who have the specialist knowledge and authority to resolve it.</p>
""" + _SUMMARY_HTML + """{% if owner.name %}
<p>{{ owner.name }} is now responsible for your request.</p>
{% endif %}
<p>There is nothing you need to do; we will contact you if we need more information.</p>
"""

_UPDATE_TEXT = """
Here is an update on your request.
""" + _SUMMARY_TEXT + """
{% if escalation.latest_public_reply %}
Latest update from our team:

{{ escalation.latest_public_reply }}

{% endif %}
{% if sla.resolution %}
Resolution target: {{ sla.resolution }}.

{% endif %}
We will update you again as soon as there is news.
"""

_UPDATE_HTML = """<p>Here is an update on your request.</p>
""" + _SUMMARY_HTML + """{% if escalation.latest_public_reply %}
<p><strong>Latest update from our team:</strong></p>
<blockquote style="margin:0 0 12px;padding-left:12px;border-left:3px solid #ccc">
{{ escalation.latest_public_reply|linebreaksbr }}</blockquote>
{% endif %}
{% if sla.resolution %}
<p>Resolution target: {{ sla.resolution }}.</p>
{% endif %}
<p>We will update you again as soon as there is news.</p>
"""

_WAITING_TEXT = """
We are working on your request {{ escalation.reference }} ("{{ escalation.title }}"), but we need
some information from you before we can continue.
{% if escalation.latest_public_reply %}

Our last message to you:

{{ escalation.latest_public_reply }}
{% endif %}

Please reply to this message at your earliest convenience. Your request is on hold until we hear
from you, and we will resume work as soon as you reply.
"""

_WAITING_HTML = """<p>We are working on your request <strong>{{ escalation.reference }}</strong>
("{{ escalation.title }}"), but we need some information from you before we can continue.</p>
{% if escalation.latest_public_reply %}
<p><strong>Our last message to you:</strong></p>
<blockquote style="margin:0 0 12px;padding-left:12px;border-left:3px solid #ccc">
{{ escalation.latest_public_reply|linebreaksbr }}</blockquote>
{% endif %}
<p>Please reply to this message at your earliest convenience. Your request is on hold until we hear
from you, and we will resume work as soon as you reply.</p>
"""

_RESOLVED_TEXT = """
Good news: your request {{ escalation.reference }} ("{{ escalation.title }}") has been resolved.
{% if escalation.resolution_summary %}

What we did:

{{ escalation.resolution_summary }}
{% endif %}

If the problem is not fully solved, or it comes back, simply reply to this message and we will
reopen your request straight away.

Thank you for your patience.
"""

_RESOLVED_HTML = """<p>Good news: your request <strong>{{ escalation.reference }}</strong>
("{{ escalation.title }}") has been resolved.</p>
{% if escalation.resolution_summary %}
<p><strong>What we did:</strong></p>
<p>{{ escalation.resolution_summary|linebreaksbr }}</p>
{% endif %}
<p>If the problem is not fully solved, or it comes back, simply reply to this message and we will
reopen your request straight away.</p>
<p>Thank you for your patience.</p>
"""

_SURVEY_TEXT = """
We recently resolved your request {{ escalation.reference }} ("{{ escalation.title }}").
We would like to know how we did: your feedback helps us improve our service.

{% if status_page_url %}
Please rate your experience here (it takes less than a minute): {{ status_page_url }}
{% else %}
Please reply to this message with a score from 1 (very dissatisfied) to 5 (very satisfied),
and any comments you would like to share.
{% endif %}

Thank you for taking the time.
"""

_SURVEY_HTML = """<p>We recently resolved your request <strong>{{ escalation.reference }}</strong>
("{{ escalation.title }}"). We would like to know how we did: your feedback helps us improve our service.</p>
{% if status_page_url %}
<p><a href="{{ status_page_url }}">Rate your experience</a> — it takes less than a minute.</p>
{% else %}
<p>Please reply to this message with a score from 1 (very dissatisfied) to 5 (very satisfied),
and any comments you would like to share.</p>
{% endif %}
<p>Thank you for taking the time.</p>
"""

BUILTIN: dict[str, DefaultTemplate] = {
    "acknowledgement": DefaultTemplate(
        "[{{ escalation.reference }}] We have received your request: {{ escalation.title }}",
        _text(_ACK_TEXT), _html(_ACK_HTML)),
    "escalated": DefaultTemplate(
        "[{{ escalation.reference }}] Your request has been escalated: {{ escalation.title }}",
        _text(_ESCALATED_TEXT), _html(_ESCALATED_HTML)),
    "status_update": DefaultTemplate(
        "[{{ escalation.reference }}] Update on your request: {{ escalation.title }}",
        _text(_UPDATE_TEXT), _html(_UPDATE_HTML)),
    "waiting_for_you": DefaultTemplate(
        "[{{ escalation.reference }}] We need your reply: {{ escalation.title }}",
        _text(_WAITING_TEXT), _html(_WAITING_HTML)),
    "resolved": DefaultTemplate(
        "[{{ escalation.reference }}] Your request has been resolved: {{ escalation.title }}",
        _text(_RESOLVED_TEXT, link=False), _html(_RESOLVED_HTML, link=False)),
    "satisfaction_survey": DefaultTemplate(
        "[{{ escalation.reference }}] How did we do? {{ escalation.title }}",
        _text(_SURVEY_TEXT, link=False), _html(_SURVEY_HTML, link=False)),
}
