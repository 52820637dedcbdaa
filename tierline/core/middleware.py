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
