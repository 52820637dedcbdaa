"""`tierline mailin …` from the shell."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tierline.mailin.tests.mails import mail


def test_process_a_message_file(mailworld, tmp_path):
    esc = mailworld.escalation()
    path = tmp_path / "reply.eml"
    path.write_bytes(mail(subject=f"Re: {esc.reference}", body="From a file"))
    out = io.StringIO()
    call_command("mailin", "process", str(path), stdout=out)
    answer = json.loads(out.getvalue())
    assert (answer["outcome"], answer["escalation"], answer["duplicate"]) == ("reply", esc.reference, False)
    out = io.StringIO()
    call_command("mailin", "process", str(path), stdout=out)
    assert json.loads(out.getvalue())["duplicate"] is True


def test_poll_without_a_configured_mailbox_says_what_is_missing(db, settings):
    settings.TIERLINE = {**settings.TIERLINE, "IMAP_HOST": "", "IMAP_USER": ""}
    with pytest.raises(CommandError, match="TIERLINE_IMAP_HOST"):
        call_command("mailin", "poll", "--once")
