"""The escalation matrix editor: a rule table (or the YAML), checks that block publishing, a
confirmation step with the diff, and the dry run on a page.

Drafts are saved through `services.import_draft` and published through `services.publish`, so the
screens are held to exactly what the API and the CLI are: a rule naming a team, level or SLA
policy the tenant does not have is refused at publish time whoever asks.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tierline.core import inputs
from tierline.core.errors import DomainError
from tierline.escalations.choices import Channel, EscalationType, Priority
from tierline.kit import actor_of
from tierline.routing import matrix as pure
from tierline.routing import services
from tierline.routing.decide import version_in_force
from tierline.routing.matrix_yaml import dump_matrix_yaml
from tierline.routing.models import MatrixVersion
from tierline.routing.views import _guidance
from tierline.sla.models import SlaPolicy
from tierline.tenancy.choices import CustomerTier
from tierline.tenancy.models import Customer, Team
from tierline.tenancy.views import config_view

BLANK_ROWS = 2
MAX_ROWS = pure.MAX_RULES
# Table columns that are comma lists of codes, and the matrix keys they fill.
CODE_LISTS = (("type", "type"), ("priority", "priority"), ("customer_tier", "customer_tier"), ("channel", "channel"))
# Rule parts the table does not show; kept as they were (a hidden JSON field per row) so editing a
# rule in the table never drops its pattern, custom fields, alerts or required fields.
KEPT_WHEN = ("pattern", "custom_fields")
KEPT_THEN = ("notify", "require", "trigger")
_ROW_ERROR = re.compile(r"rules\[(\d+)\]")


class BadText(ValueError):
    pass


def _text(value, limit: int, what: str) -> str:
    value = value if isinstance(value, str) else ""
    if problem := inputs.text_problem(value):
        raise BadText(f"{what} {problem}")
    if len(value) > limit:
        raise BadText(f"{what} is longer than {limit} characters")
    return value


def _number(raw, lo: int, hi: int) -> int:
    return inputs.parse_int(raw or "0", lo=lo, hi=hi) or 0


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def _row_from_rule(rule: dict) -> dict:
    when, then = rule.get("when") or {}, rule.get("then") or {}
    kept = {"when": {k: when[k] for k in KEPT_WHEN if k in when}, "then": {k: then[k] for k in KEPT_THEN if k in then}}
    row = {"name": rule.get("name", ""), "precedence": rule.get("precedence", ""),
           "keywords": ", ".join(when.get("keywords", []) or []), "business_hours": when.get("business_hours", ""),
           "team": then.get("team", ""), "level": then.get("level", ""), "set_priority": then.get("priority", ""),
           "sla_policy": then.get("sla_policy", ""), "kept": json.dumps(kept) if any(kept.values()) else "",
           "kept_summary": _kept_summary(kept)}
    for column, key in CODE_LISTS:
        value = when.get(key, [])
        row[column] = ", ".join(value if isinstance(value, list) else [value])
    return row


def _kept_summary(kept: dict) -> str:
    parts = [f"pattern {kept['when']['pattern']}"] if "pattern" in kept["when"] else []
    parts += [f"custom field {name}" for name in kept["when"].get("custom_fields", {})]
    parts += [f"{key}: {', '.join(v) if isinstance(v, list) else v}" for key, v in kept["then"].items()]
    return "; ".join(parts)


def _rule_from_row(row: dict) -> dict | None:
    """The matrix dict of one table row; None for a blank or removed row. Values stay as typed:
    matrix_from_dict names whatever is wrong, with the rule's position."""
    if row.get("remove") or not any(row.get(k) for k in ("name", "team", "level", "type", "priority", "keywords")):
        return None
    when: dict = {}
    for column, key in CODE_LISTS:
        if codes := _split(row.get(column, "")):
            when[key] = codes
    if keywords := _split(row.get("keywords", "")):
        when["keywords"] = keywords
    if row.get("business_hours"):
        when["business_hours"] = row["business_hours"]
    then: dict = {}
    if row.get("team"):
        then["team"] = row["team"]
    if row.get("level"):
        then["level"] = int(row["level"]) if str(row["level"]).isdigit() else row["level"]
    if row.get("set_priority"):
        then["priority"] = row["set_priority"]
    if row.get("sla_policy"):
        then["sla_policy"] = row["sla_policy"]
    if row.get("kept"):
        try:
            kept = inputs.loads(row["kept"])
        except ValueError:
            kept = {}
        if isinstance(kept, dict):
            when.update({k: v for k, v in (kept.get("when") or {}).items() if k in KEPT_WHEN})
            then.update({k: v for k, v in (kept.get("then") or {}).items() if k in KEPT_THEN})
    precedence = row.get("precedence", "")
    number = inputs.parse_int(str(precedence))
    return {"name": row.get("name", ""), "precedence": precedence if number is None else number,
            "when": when, "then": then}


def _rows_from_post(post) -> list[dict]:
    count = _number(post.get("rows"), 0, MAX_ROWS + BLANK_ROWS)
    fields = ("name", "precedence", "type", "priority", "customer_tier", "channel", "keywords", "business_hours",
              "team", "level", "set_priority", "sla_policy", "kept", "remove")
    return [{f: _text(post.get(f"r{i}-{f}", ""), 20000, f"row {i + 1} {f}") for f in fields} for i in range(count)]


def _choices(tenant) -> dict:
    return {"teams": list(Team.objects.filter(tenant=tenant).order_by("level", "name").values_list("name", "level")),
            "policies": list(SlaPolicy.objects.filter(tenant=tenant).order_by("name").values_list("name", flat=True)),
            "codes": {"type": EscalationType.values, "priority": Priority.values, "customer_tier": CustomerTier.values,
                      "channel": Channel.values}}


def _base_spec(tenant, request) -> tuple[dict, MatrixVersion | None]:
    number = _number(request.GET.get("from"), 0, 10**9)
    version = (MatrixVersion.objects.filter(tenant=tenant, number=number).first() if number
               else MatrixVersion.objects.filter(tenant=tenant).order_by("-number").first())
    return (version.spec if version else {"rules": []}), version


def _problems(tenant, spec: dict) -> tuple[list, list]:
    matrix = pure.matrix_from_dict(spec)
    found = services.warnings_for(tenant.pk, matrix, timezone.now())
    blocking = services.blocking_problems(found)
    return blocking, [w for w in found if w not in blocking]


@config_view
def matrix_editor(request, tenant):
    error, row_errors, yaml_error = None, {}, None
    mode = "yaml" if request.POST.get("mode") == "yaml" else "table"
    if request.method == "POST":
        rows, text = [], None
        try:
            note = _text(request.POST.get("note", ""), 300, "the note")
            if mode == "yaml":
                text = _text(request.POST.get("yaml", ""), 1024 * 1024, "the YAML")
            else:
                rows = _rows_from_post(request.POST)
        except BadText as exc:
            error = yaml_error = str(exc)
        if mode == "table" and error is None:
            built = [(i, r) for i, r in enumerate(_rule_from_row(row) for row in rows) if r is not None]
            spec = {"rules": [r for _, r in built]}
            try:
                text = dump_matrix_yaml(pure.matrix_from_dict(spec))
            except pure.MatrixError as exc:
                error = f"{exc.path}: {exc.message}"
                if m := _ROW_ERROR.match(exc.path):
                    row_errors[built[int(m.group(1))][0]] = exc.message
        if text is not None:
            try:
                version, _ = services.import_draft(tenant, text, actor=actor_of(request),
                                                   now=timezone.now(), note=note)
            except DomainError as exc:
                if mode == "yaml":
                    yaml_error = exc.message
                else:
                    error = exc.message
            else:
                messages.success(request, f"Draft version {version.number} saved. Check it, then publish it.")
                return redirect("routing-config:version", code=tenant.code, number=version.number)
        table_rows = rows if mode != "yaml" else [_row_from_rule(r) for r in _base_spec(tenant, request)[0]["rules"]]
        yaml_text = text or "" if mode == "yaml" else ""
        base = None
    else:
        spec, base = _base_spec(tenant, request)
        table_rows = [_row_from_rule(r) for r in spec.get("rules", [])]
        try:
            yaml_text = dump_matrix_yaml(pure.matrix_from_dict(spec))
        except pure.MatrixError:
            yaml_text = ""
    # Rows keep the order the table shows, with spare rows for new rules at the end.
    shown = [dict(row, error=row_errors.get(i)) for i, row in enumerate(table_rows)
             if row.get("name") or row.get("team") or row.get("level") or i in row_errors]
    shown += [{"error": None} for _ in range(BLANK_ROWS)]
    for row in shown:
        row.setdefault("kept_summary", "")
    status = 422 if error or yaml_error else 200
    return render(request, "routing/config/editor.html", {
        "tenant": tenant, "rows": shown, "error": error, "yaml_error": yaml_error, "yaml_text": yaml_text,
        "mode": mode, "base": base, "versions": MatrixVersion.objects.filter(tenant=tenant).order_by("-number")[:30],
        "in_force": version_in_force(tenant.pk, timezone.now()), **_choices(tenant)}, status=status)


def _diff(old: MatrixVersion | None, new: MatrixVersion) -> list[tuple[str, str]]:
    before = dump_matrix_yaml(pure.matrix_from_dict(old.spec)).splitlines() if old else []
    after = dump_matrix_yaml(pure.matrix_from_dict(new.spec)).splitlines()
    out = []
    for line in difflib.unified_diff(before, after, fromfile=f"v{old.number}" if old else "(none)",
                                     tofile=f"v{new.number}", lineterm="", n=3):
        kind = ("head" if line.startswith(("---", "+++", "@@")) else "add" if line.startswith("+")
                else "del" if line.startswith("-") else "same")
        out.append((kind, line))
    return out


def _against(tenant, version, request) -> MatrixVersion | None:
    number = _number(request.GET.get("against"), 0, 10**9)
    if number:
        return MatrixVersion.objects.filter(tenant=tenant, number=number).first()
    in_force = version_in_force(tenant.pk, timezone.now())
    if in_force and in_force.pk != version.pk:
        return in_force
    return MatrixVersion.objects.filter(tenant=tenant, number__lt=version.number).order_by("-number").first()


def _version_context(request, tenant, number: int) -> dict:
    version = services.get_version(tenant, number)
    against = _against(tenant, version, request)
    blocking, warnings = _problems(tenant, version.spec)
    return {"tenant": tenant, "version": version, "rules": pure.matrix_from_dict(version.spec).rules,
            "blocking": blocking, "warnings": warnings, "against": against, "diff": _diff(against, version),
            "versions": MatrixVersion.objects.filter(tenant=tenant).order_by("-number")[:30],
            "in_force": version_in_force(tenant.pk, timezone.now())}


@config_view
def version_page(request, tenant, number: int):
    return render(request, "routing/config/version.html", _version_context(request, tenant, number))


@config_view
def version_publish(request, tenant, number: int):
    """GET: the confirmation (what changes, what is wrong). POST with confirm: publish."""
    ctx = _version_context(request, tenant, number)
    ctx["error"] = None
    if request.method == "POST":
        when = None
        raw = request.POST.get("effective_from", "")[:40].strip()
        if raw:
            try:
                when = dt.datetime.fromisoformat(raw)
                if when.tzinfo is None:
                    when = timezone.make_aware(when)
                if inputs.date_problem(when):
                    raise ValueError(inputs.date_problem(when))
            except (ValueError, OverflowError):
                ctx["error"] = "Effective from is not a date and time (YYYY-MM-DD HH:MM)."
        if not request.POST.get("confirm"):
            ctx["error"] = "Tick the confirmation box to publish."
        if ctx["error"] is None:
            try:
                services.publish(tenant, number, actor=actor_of(request), now=timezone.now(),
                                 effective_from=when)
            except DomainError as exc:
                ctx["error"] = exc.message
            else:
                messages.success(request, f"Version {number} published.")
                return redirect("routing-config:version", code=tenant.code, number=number)
        return render(request, "routing/config/publish.html", ctx, status=422)
    return render(request, "routing/config/publish.html", ctx)


@config_view
def dry_run_page(request, tenant):
    """Where would this escalation go, and why? The form posts itself here (htmx swaps the answer)."""
    data = request.POST if request.method == "POST" else request.GET
    ctx = {"tenant": tenant, "choices": {"type": EscalationType.choices, "priority": Priority.choices,
                                         "customer_tier": CustomerTier.choices, "channel": Channel.choices},
           "data": data, "in_force": version_in_force(tenant.pk, timezone.now())}
    if request.method == "POST":
        def pick(name, allowed, default):
            value = data.get(name, default)
            return value if value in allowed else default

        kwargs = dict(type=pick("type", EscalationType.values, "technical"),
                      priority=pick("priority", Priority.values, "P3"),
                      title=_plain(data.get("title", ""))[:200],
                      description=_plain(data.get("description", ""))[:20000],
                      channel=pick("channel", Channel.values, "phone"))
        tier = pick("customer_tier", CustomerTier.values, "")
        answer = _dry_run_guidance(request, tenant, tier, kwargs)
        if request.htmx:
            return answer
        ctx["answer"] = answer.content.decode()
    return render(request, "routing/config/dry_run.html", ctx)


def _plain(value: str) -> str:
    # A dry run stores nothing: characters no column could hold are dropped rather than refused.
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _dry_run_guidance(request, tenant, tier: str, kwargs: dict):
    customer = Customer(tenant=tenant, name="(dry run)", tier=tier) if tier else None
    return _guidance(request, tenant, customer=customer, **kwargs)


@require_POST
@config_view
def discard_draft(request, tenant, number: int):
    version = services.get_version(tenant, number)
    if version.state != MatrixVersion.State.DRAFT:
        messages.error(request, "A published version is never deleted: publish a new one instead.")
        return redirect("routing-config:version", code=tenant.code, number=number)
    version.delete()
    messages.success(request, f"Draft version {number} discarded.")
    return redirect("routing-config:matrix", code=tenant.code)
