"""The API's edge: every request under /api/ passes the input layer (core/inputs.py) before a view
sees it, and every answer under /api/ is the JSON error body, whoever produced it (Django's URL
resolver, the request parser, ninja's method dispatch, the CSRF middleware).

Before the view: the path and query string carry no NUL; a body is JSON (application/json or a
+json type) or multipart/form-data, never parsed as JSON under another type (415); JSON is
parsed here once, refusing malformed (400), too deep, huge integers, NUL and lone surrogates
(422); a body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413; a multipart body that Django cannot
parse (no boundary, too many fields) is 400; an uploaded file name past 255 characters is 422.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja.parser import Parser

from tierline.core import inputs

API_PREFIX = "/api/"
FILENAME_MAX = 255
CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
         415: "unsupported_media_type", 422: "validation_error", 429: "rate_limited", 500: "server_error",
         503: "unavailable"}
MESSAGES = {400: "the request could not be read", 403: "forbidden", 404: "not found",
            405: "method not allowed", 413: "the request body is too large", 500: "internal error"}


def error(status: int, message: str, fields: dict | None = None, code: str | None = None) -> JsonResponse:
    return JsonResponse({"error": {"code": code or CODES.get(status, "error"), "message": message,
                                   "fields": fields or {}}}, status=status)


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (content_type.startswith("application/")
                                                   and content_type.endswith("+json"))


def check_request(request) -> JsonResponse | None:
    """The refusal for a request under /api/ that no endpoint may take, or None."""
    problem = inputs.text_problem(request.path)
    if problem:
        return error(422, f"the path {problem}", {"path": problem}, "validation_error")
    fields = {}
    for key in request.GET:
        inputs.scan(key, "query", out=fields)
        for value in request.GET.getlist(key):
            inputs.scan(value, key if inputs.text_problem(key) is None else "query", out=fields)
    if fields:
        return error(422, "the request is not valid", fields)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    has_body = int(request.META.get("CONTENT_LENGTH") or 0) > 0 or request.META.get("HTTP_TRANSFER_ENCODING")
    if not has_body:
        return None
    content_type = (request.content_type or "").lower()
    try:
        if content_type == "multipart/form-data":
            return _check_multipart(request)
        if not _is_json(content_type):
            return error(415, "send the body as application/json (or multipart/form-data for uploads)",
                         {"Content-Type": "application/json expected"})
        data = inputs.loads(request.body)
    except RequestDataTooBig:
        return error(413, "the request body is too large")
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent, SuspiciousOperation) as exc:
        return error(400, f"the multipart body could not be read: {exc}")
    except inputs.TooDeep as exc:
        return error(422, str(exc), {"body": str(exc)})
    except ValueError as exc:
        return error(400, str(exc), {"body": str(exc)})
    request._tierline_json = data
    fields = inputs.scan(data)
    if fields:
        return error(422, "the request is not valid", fields)
    return None


def _check_multipart(request) -> JsonResponse | None:
    fields = {}
    for key in request.POST:
        for value in request.POST.getlist(key):
            inputs.scan(value, key, out=fields)
    for key, upload in request.FILES.items():
        name = upload.name or ""
        problem = inputs.text_problem(name)
        if problem:
            fields[key] = f"the file name {problem}"
        elif len(name) > FILENAME_MAX:
            fields[key] = f"the file name is longer than {FILENAME_MAX} characters"
    if fields:
        return error(422, "the request is not valid", fields)
    return None


class ApiEdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        response = check_request(request)
        if response is None:
            response = self.get_response(request)
        return as_json_error(response)


def as_json_error(response):
    """The JSON error body in place of any other error answer (Django's HTML 404, ninja's plain
    405, the CSRF 403), keeping the headers that matter (Allow, Retry-After)."""
    if response.status_code < 400 or "json" in response.get("Content-Type", ""):
        return response
    status = response.status_code
    replaced = error(status, MESSAGES.get(status, "the request was refused"))
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            replaced[header] = response[header]
    return replaced


class ApiParser(Parser):
    """Ninja's parser reading the JSON the edge already parsed and checked."""

    def parse_body(self, request):
        data = getattr(request, "_tierline_json", None)
        if data is not None:
            return data
        return inputs.loads(request.body)

