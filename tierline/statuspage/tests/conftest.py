import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from tierline.statuspage import ratelimit
from tierline.statuspage.links import issue_link


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    # One fixed instant inside a window: counters never reset halfway through a test.
    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_000_000_020.0)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def base():
    """A start in the recent past: the page itself runs on the real clock."""
    return timezone.now() - dt.timedelta(days=2)


@pytest.fixture
def opened(world, base):
    """(escalation, its status page URL)."""
    esc = world.escalation(now=base)
    _, token = issue_link(esc, actor=world.actor(), now=base)
    return esc, f"/status/{token}/"
