"""The "Loading demo data" banner: on every page while the demo's history is still going in."""

from __future__ import annotations

from django.conf import settings

from tierline.demo.models import DemoLoad

# Once this process has seen the load finish, pages stop asking (the demo loads once per database).
_finished = False


def demo_loading(request) -> dict:
    global _finished
    if not settings.DEV_MODE or _finished:
        return {}
    load = DemoLoad.objects.filter(pk=1).only("total", "done", "finished_at").first()
    if load is None:
        return {}
    if load.finished_at is not None:
        _finished = True
        return {}
    return {"demo_loading": {"done": f"{load.done:,}", "total": f"{load.total:,}"}}
