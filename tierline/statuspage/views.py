"""The customer's status page (anonymous, reached by token) and the staff views that issue links.

The page reads the escalation directly (the token is the authorisation, checked by
`links.resolve_token`) and writes only through the actions, as the escalation's customer.
Every refusal is shown inline on the page with the action's own message; nothing a customer
can submit produces a 500.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tierline import actions
from tierline.actions.customer import COMMENT_MAX, REOPEN_WINDOW, REPLY_MAX
from tierline.audit.models import Event
from tierline.core.actors import Actor
from tierline.core.errors import DomainError, InvalidInput, NotFound
from tierline.escalations import queries, states
from tierline.escalations.models import Escalation
from tierline.statuspage import links, public, ratelimit
from tierline.statuspage.models import StatusLink

# The token is in the URL: it must not leak through Referer, caches, or search engines.
PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
# Pages with POST forms cannot use no-referrer: under it browsers send `Origin: null` on the
# form's own same-origin POST and Django's CSRF check refuses it (tests/test_browser.py).
# strict-origin sends only scheme://host[:port] — never the path, so never the token.
FORM_PAGE_REFERRER_POLICY = "strict-origin"
FORMS = ("reply", "attach", "escalate", "rate")
DONE = {
    "reply": "Thank you — your message has been added to your case.",
    "attach": "Thank you — your file has been added to your case.",
    "escalate": "Your request to escalate has been passed to a supervisor.",
    "rate": "Thank you for rating how we handled your case.",
}


def private(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        for name, value in PRIVATE_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return wrapper


# -- the customer's page -----------------------------------------------------------------------
@private
def status_page(request, token):
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    retry = ratelimit.hit(request, token)
    if retry is not None:
        response = render(request, "statuspage/rate_limited.html", {"retry": retry}, status=429)
        response["Retry-After"] = str(retry)
        return response
    now = timezone.now()
    try:
        link = links.resolve_token(token, now=now)
    except NotFound:
        # One page for unknown, expired and revoked alike: nothing to tell them apart by.
        return render(request, "statuspage/not_found.html", status=404)
    if request.method == "POST":
        return _submit(request, link, now)
    return _page(request, link, now, done=DONE.get(request.GET.get("done", "")))


def _load(link: StatusLink) -> Escalation:
    return Escalation.objects.select_related("team", "owner", "customer").get(pk=link.escalation_id)


def _page(request, link, now, *, status=200, failed: str = "", error: str = "", done: str | None = None):
    esc = _load(link)
    events = list(Event.objects.filter(escalation_id=esc.pk).order_by("seq"))
    recently_resolved = (esc.status == states.S.RESOLVED and esc.resolved_at is not None
                         and now - esc.resolved_at <= REOPEN_WINDOW)
    has_customer = esc.customer_id is not None
    ctx = {
        "esc": esc, "status_label": public.status_label(esc.status), "priority": esc.get_priority_display(),
        "team": esc.team.name, "owner": esc.owner.first_name.strip() if esc.owner_id else "",
        "next_update": public.next_update(esc, events, now), "timeline": public.public_timeline(esc, events),
        "link": link, "done": done, "error": error, "failed": failed, "posted": request.POST if failed else {},
        "can_reply": has_customer and (esc.is_open or recently_resolved),
        "reopens": recently_resolved,
        "can_attach": has_customer and esc.status not in states.TERMINAL,
        "can_escalate": has_customer and esc.is_open,
        "can_rate": (has_customer and esc.csat_score is None and esc.merged_into_id is None
                     and esc.status in (states.S.RESOLVED, states.S.CLOSED)),
        "max_bytes": settings.TIERLINE["ATTACHMENT_MAX_BYTES"], "reply_max": REPLY_MAX, "comment_max": COMMENT_MAX,
        "scores": range(1, 6),
    }
    if failed and not ctx.get(f"can_{failed}"):
        ctx["failed"] = ""  # its form is not on the page (e.g. rating too early): say it at the top
    with timezone.override(dt.UTC):  # the page labels its times UTC, whatever the server's zone
        response = render(request, "statuspage/page.html", ctx, status=status)
    response["Referrer-Policy"] = FORM_PAGE_REFERRER_POLICY
    return response


def _submit(request, link, now):
    max_bytes = settings.TIERLINE["ATTACHMENT_MAX_BYTES"]
    form = request.POST.get("form", "")
    if form not in FORMS:
        return _page(request, link, now, status=400, error="That form was not recognised; please try again.")
    esc = _load(link)
    try:
        if esc.customer_id is None:
            raise InvalidInput("This case has no customer on record, so it cannot take messages here.")
        _run(form, request, esc, Actor.for_customer(esc.customer), now, max_bytes)
    except DomainError as err:
        return _page(request, link, now, status=err.http_status, failed=form, error=err.message)
    return redirect(f"{request.path}?done={form}")


def _run(form, request, esc, actor, now, max_bytes):
    post = request.POST
    if form == "reply":
        actions.customer_reply(esc, post.get("body", ""), actor=actor, now=now, source="status_page")
    elif form == "attach":
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("Choose a file to attach.", fields={"file": "required"})
        if upload.size > max_bytes:
            raise InvalidInput(f"The file is too large: the limit is {max_bytes:,} bytes.", code="too_large")
        actions.customer_attach(esc, filename=upload.name or "file", content=upload.read(),
                                content_type=upload.content_type or "", actor=actor, now=now)
    elif form == "escalate":
        actions.request_client_escalation(esc, reason=post.get("reason", ""), source="status_page",
                                          actor=actor, now=now)
    else:
        actions.record_csat(esc, post.get("score", ""), post.get("comment", ""), actor=actor, now=now)


# -- staff: issue and revoke ---------------------------------------------------------------------
def _staff_escalation(request, reference):
    try:
        return queries.get_escalation(Actor.for_user(request.user), reference)
    except NotFound:
        raise Http404("no such escalation")


def _staff_page(request, ctx, status=200):
    response = render(request, "statuspage/staff.html", ctx, status=status)
    response["Referrer-Policy"] = FORM_PAGE_REFERRER_POLICY  # the staff layout has its log-out form
    return response


@login_required
@require_POST
@private
def issue(request, reference):
    esc = _staff_escalation(request, reference)
    ctx = {"esc": esc}
    try:
        days = int(request.POST.get("days") or links.DEFAULT_DAYS)
    except ValueError:
        days = 0  # refused below with the range in the message
    try:
        link, token = links.issue_link(esc, actor=Actor.for_user(request.user), now=timezone.now(), days=days)
    except DomainError as err:
        return _staff_page(request, {**ctx, "error": err.message}, err.http_status)
    ctx.update(link=link, url=request.build_absolute_uri(reverse("statuspage:page", args=[token])))
    return _staff_page(request, ctx)


@login_required
@require_POST
@private
def revoke(request, reference, pk):
    esc = _staff_escalation(request, reference)
    link = StatusLink.objects.filter(pk=pk, escalation_id=esc.pk).first()
    if link is None:
        raise Http404("no such status link")
    try:
        links.revoke(link, actor=Actor.for_user(request.user), now=timezone.now())
    except DomainError as err:
        return _staff_page(request, {"esc": esc, "error": err.message}, err.http_status)
    messages.success(request, f"{esc.reference}: status link withdrawn; it no longer opens.")
    return redirect("escalations:detail", reference=esc.reference)
