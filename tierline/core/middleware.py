"""Response headers that API views decide but ninja does not set for us."""


class ApiHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        etag = getattr(request, "tierline_etag", None)
        if etag and response.status_code < 300:
            response["ETag"] = etag
        if getattr(request, "tierline_replayed", False):
            response["Idempotent-Replayed"] = "true"
        return response


class DatabaseUnavailableMiddleware:
    """A lost or refused database connection (server restarting, failover) answers 503 with a
    machine-readable body and Retry-After, never a 500: the request changed nothing (its
    transaction rolled back with the connection) and the client may simply retry. The API's own
    handler does the same for API views; this covers the UI and anything outside ninja."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return database_unavailable(request, exception)


def database_unavailable(request, exception):
    """The 503 answer for a lost database connection, or None for any other exception (also used
    by middleware that reads the database before the view, e.g. the rate limiter)."""
    from django.db import InterfaceError, OperationalError

    if not isinstance(exception, OperationalError | InterfaceError):
        return None
    import logging

    from django.http import HttpResponse, JsonResponse

    logging.getLogger("tierline.db").warning("database unavailable: %s", exception)
    body = {"error": {"code": "database_unavailable", "message": "the database is unavailable; retry shortly",
                      "fields": {}}}
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse(body, status=503)
    else:
        response = HttpResponse("<h1>Temporarily unavailable</h1><p>The database is unavailable; "
                                "retry in a moment.</p>", status=503)
    response["Retry-After"] = "2"
    return response
