import pytest

from tierline.mailin.models import IntakeAddress
from tierline.mailin.tests import mails


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _forget_parsed_matrices():
    # routing.decide caches parsed matrices by (tenant id, version number) for the process. A
    # rolled-back test hands the same ids to the next test, which would then route by our matrix.
    from tierline.routing import decide

    decide._PARSED.clear()
    yield
    decide._PARSED.clear()


@pytest.fixture
def mailworld(world):
    """The test world with a known customer address and ACME's intake address."""
    world.customer.email = mails.CUSTOMER
    world.customer.save()
    world.other_customer.email = "gus@globex.example"
    world.other_customer.save()
    world.extra["intake"] = IntakeAddress.objects.create(tenant=world.tenant, address=mails.INTAKE.upper())
    return world


@pytest.fixture(scope="session")
def dovecot_server():
    from tierline.mailin.tests.dovecot import running

    with running() as server:
        yield server


@pytest.fixture
def imap_box(dovecot_server):
    """A logged-in mailbox, emptied before the test."""
    from imap_tools import MailBoxUnencrypted

    with MailBoxUnencrypted(dovecot_server.host, dovecot_server.port).login(
            dovecot_server.user, dovecot_server.password) as box:
        for folder in ("INBOX", "Processed"):
            if box.folder.exists(folder):
                box.folder.set(folder)
                box.delete(box.uids())
        box.folder.set("INBOX")
        yield box
