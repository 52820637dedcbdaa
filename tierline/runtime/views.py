"""Probes: /healthz (the process answers) and /readyz (the worker's jobs and items are well).

/readyz answers 503 when a job failed its last JOB_FAILURE_THRESHOLD runs or an item is parked,
so a monitor pages someone; route traffic by /healthz, which a parked report must not take down.
Neither needs a login: a monitor has none. Errors in the body are already masked (health.py).
"""

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tierline.runtime import health


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    try:
        data = health.snapshot(timezone.now())
    except Exception as exc:  # no database: certainly not ready, and say why
        return JsonResponse({"status": "unavailable", "error": health.error_text(exc)}, status=503)
    body = {"status": "ok" if data["ready"] else "failing", **data}
    return JsonResponse(body, status=200 if data["ready"] else 503)
