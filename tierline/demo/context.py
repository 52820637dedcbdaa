"""The "Loading demo data" banner: on every page while the demo's history is still going in."""

from __future__ import annotations

from django.conf import settings

from tierline.demo.models import DemoLoad


def demo_loading(request) -> dict:
    if not settings.DEV_MODE:
        return {}

    load = DemoLoad.objects.filter(pk=1, finished_at__isnull=True).only("total", "done").first()
    if load is None:
        return {}
    return {"demo_loading": {"done": f"{load.done:,}", "total": f"{load.total:,}"}}
