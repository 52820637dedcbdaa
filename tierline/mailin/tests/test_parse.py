"""parse.py and quotes.py: pure, no database."""

from __future__ import annotations

import pytest

from tierline.mailin import parse
from tierline.mailin.quotes import html_to_text, strip_quoted
from tierline.mailin.tests import mails
from tierline.mailin.tests.mails import mail


def test_headers_addresses_and_threading():
    raw = mail(subject="Re:  ACME-2026-000001   login", sender="Dana.Customer@Customer.Example",
               sender_name="Dana Customer", to='"Support, ACME" <Support@ACME.example>, other@x.example',
               in_reply_to="<ev7:u3:email@tierline>", references="<a@x> <ev7:u3:email@tierline>",
               headers={"Cc": "boss@customer.example", "Delivered-To": "intake+acme@tierline.example"})
    m = parse.parse(raw)
    assert (m.from_address, m.from_name) == ("dana.customer@customer.example", "Dana Customer")
    assert m.to == ("support@acme.example", "other@x.example") and m.cc == ("boss@customer.example",)
    assert m.delivered_to == ("intake+acme@tierline.example",)
    assert m.subject == "Re: ACME-2026-000001 login"
    assert m.in_reply_to == "<ev7:u3:email@tierline>" and m.references == ("<a@x>", "<ev7:u3:email@tierline>")
    assert m.thread_ids == ("<ev7:u3:email@tierline>", "<a@x>")
    assert m.auto_reason == "" and m.size == len(raw)


def test_encoded_headers_and_body_charsets():
    raw = (b"From: =?utf-8?q?Ren=C3=A9e?= <renee@example.fr>\r\nTo: support@acme.example\r\n"
           b"Subject: =?iso-8859-1?q?R=E9clamation?=\r\nMessage-ID: <r1@example.fr>\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"D=E9j=E0 trois jours.\r\n")
    m = parse.parse(raw)
    assert (m.from_name, m.subject, m.body) == ("Renée", "Réclamation", "Déjà trois jours.")


def test_a_mail_without_message_id_gets_a_stable_one_from_its_bytes():
    raw = b"From: a@b.example\r\nSubject: x\r\n\r\nhello\r\n"
    first, again = parse.parse(raw), parse.parse(raw)
    assert first.message_id == again.message_id and first.message_id.startswith("<sha256.")
    assert parse.parse(raw + b"more").message_id != first.message_id


def test_message_key_ignores_the_case_of_the_domain_only():
    assert parse.message_key("<Abc@Example.COM>") == parse.message_key("<Abc@example.com>")
    assert parse.message_key("<Abc@example.com>") != parse.message_key("<abc@example.com>")


def test_html_only_mail_is_read_as_text_with_its_quote_removed():
    html = ("<html><head><style>p{color:red}</style></head><body><p>Please&nbsp;<b>help</b></p>"
            "<ul><li>one</li><li>two</li></ul><div class='gmail_quote'>On Mon, 2 Mar 2026, Tierline "
            "&lt;t@x&gt; wrote:<br><blockquote>old<br>ESCALATE</blockquote></div><script>x()</script></body></html>")
    m = parse.parse(mail(body="", html=html))
    assert m.body.startswith("Please help\n\n- one\n- two") and "> ESCALATE" in m.body
    assert m.new_text == "Please help\n\n- one\n- two"
    assert "color" not in m.body and "x()" not in m.body


def test_attachments_are_collected_with_safe_names_and_inline_logos_skipped():
    raw = mail(body="see files", html="<p>see files</p>", files=[
        ("../../etc/passwd.txt", "text/plain", b"hello"), ("report.pdf", "application/pdf", b"%PDF")])
    m = parse.parse(raw)
    assert [(a.filename, a.content_type, a.content) for a in m.attachments] == [
        (".._.._etc_passwd.txt", "text/plain", b"hello"), ("report.pdf", "application/pdf", b"%PDF")]
    assert m.body == "see files"


def test_a_forwarded_mail_is_kept_whole():
    from email.message import EmailMessage

    inner = EmailMessage()
    inner["Subject"] = "original"
    inner.set_content("the original text")
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = mails.CUSTOMER, mails.INTAKE, "Fwd: original"
    outer.set_content("see below")
    outer.add_attachment(inner)
    [attached] = parse.parse(outer.as_bytes()).attachments
    assert attached.content_type == "message/rfc822" and b"the original text" in attached.content


def test_headers_only_parsing_reads_no_body():
    m = parse.parse(mail(body="secret", files=[("a.pdf", "application/pdf", b"%PDF")]), headers_only=True,
                    size=99_999_999)
    assert (m.body, m.attachments, m.size, m.from_address) == ("", (), 99_999_999, mails.CUSTOMER)


@pytest.mark.parametrize("headers, reason", [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
    ({"Auto-Submitted": "auto-generated; owner-email=x@y"}, "Auto-Submitted"),
    ({"X-Autoreply": "yes"}, "X-Autoreply"),
    ({"X-Autorespond": "Out of office"}, "X-Autorespond"),
    ({"X-Auto-Response-Suppress": "All"}, "X-Auto-Response-Suppress"),
    ({"Precedence": "bulk"}, "Precedence: bulk"),
    ({"Precedence": "junk"}, "Precedence: junk"),
    ({"Precedence": "auto_reply"}, "Precedence: auto_reply"),
    ({"Precedence": "list"}, "Precedence: list"),
    ({"List-Id": "<announce.example.com>"}, "List-Id"),
    ({"Return-Path": "<>"}, "empty Return-Path"),
    ({"X-Failed-Recipients": "x@y.example"}, "X-Failed-Recipients"),
])
def test_machine_mail_is_recognised_with_its_reason(headers, reason):
    assert parse.parse(mail(headers=headers)).auto_reason.startswith(reason)


def test_people_and_bounces_by_sender_and_report_type():
    assert parse.parse(mail(headers={"Auto-Submitted": "no", "Return-Path": "<dana@c.example>",
                                     "Precedence": "first-class"})).auto_reason == ""
    assert parse.parse(mails.bounce()).auto_reason
    no_return_path = mails.bounce().replace(b"Return-Path: <>\r\n", b"")
    assert parse.parse(no_return_path).auto_reason.startswith("multipart/report")
    assert parse.parse(mail(sender="postmaster@mx.example")).auto_reason == "sent by postmaster@mx.example"
    assert parse.parse(mail(message_id="<ev1:u2:email@tierline>")).auto_reason.startswith("our own")


@pytest.mark.parametrize("body, new", [
    ("Still broken.\n\nOn Mon, 2 Mar 2026 at 09:30, Tierline <t@x.example> wrote:\n> old\n> ESCALATE",
     "Still broken."),
    ("Still broken.\n\nOn Mon, 2 Mar 2026 at 09:30, Tierline Support <support@tierline.example>\nwrote:\n\n> old",
     "Still broken."),
    ("Noch kaputt.\n\nAm 02.03.2026 um 09:30 schrieb Tierline <t@x.example>:\n> alt", "Noch kaputt."),
    ("Thanks\n\n-----Original Message-----\nFrom: Tierline\nSent: Monday\n\nReply ESCALATE", "Thanks"),
    ("Thanks\n\n________________________________\nFrom: Tierline <t@x>\nSent: Monday\nTo: me\n\nold", "Thanks"),
    ("Thanks\n\nFrom: Tierline <t@x>\nSent: Monday, March 2\nTo: me\nSubject: ACME\n\nold ESCALATE", "Thanks"),
    ("> quoted first\nmy answer\n> more quote\nand more", "my answer\nand more"),
    ("On Mon, Tierline wrote:\n> question?\nanswer inline", "answer inline"),
    ("From: me to you, a poem\nabout escalation", "From: me to you, a poem\nabout escalation"),
    ("", ""),
])
def test_new_text_leaves_the_quoted_history_out(body, new):
    assert strip_quoted(body) == new


def test_html_to_text_keeps_preformatted_lines_and_survives_junk():
    assert html_to_text("<pre>a  b\n  c</pre>") == "a  b\nc"
    assert html_to_text("<p>unclosed <b>bold <div>") == "unclosed bold"
    assert html_to_text("<blockquote><blockquote>deep</blockquote></blockquote>") == "> > deep"
