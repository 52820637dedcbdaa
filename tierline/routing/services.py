"""Editing the escalation matrix: import a draft, check it, publish it, export it, dry-run it.

Configuration, not escalation rows: permission CONFIGURE, checked here for every caller (API,
UI, CLI). A published version is never edited; a new draft replaces it from its effective time.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Max

from tierline.accounts.models import User
from tierline.accounts.permissions import Perm
from tierline.calendars.timecalc import is_open
from tierline.core.actors import Actor
from tierline.core.checks import require_aware
from tierline.core.errors import DomainError, IllegalTransition, InvalidInput, NotFound
from tierline.routing import matrix as pure
from tierline.routing.decide import plan, shift_calendar, version_in_force
from tierline.routing.matrix_yaml import MatrixYamlError, dump_matrix_yaml, load_matrix_yaml
from tierline.routing.models import AgentProfile, MatrixVersion
from tierline.sla.models import SlaPolicy
from tierline.tenancy import scoping
from tierline.tenancy.models import Customer, Team, TeamMember


def parse_yaml(text: str) -> pure.Matrix:
    try:
        return load_matrix_yaml(text)
    except MatrixYamlError as exc:
        raise InvalidInput(f"the matrix YAML is not valid: {exc}", code="invalid_matrix",
                           fields={"yaml": str(exc), "line": str(exc.line), "column": str(exc.column)})


def _on_shift_now(team: Team, now: dt.datetime) -> bool:

    members = list(TeamMember.objects.filter(team=team, user__is_active=True).values_list("user_id", flat=True))
    if not members:
        return False
    shifts = dict(AgentProfile.objects.filter(tenant_id=team.tenant_id, user_id__in=members)
                  .values_list("user_id", "shift"))
    return any(not shifts.get(uid) or is_open(now, shift_calendar(shifts[uid])) for uid in members)


def warnings_for(tenant_id: int, matrix: pure.Matrix, now: dt.datetime) -> list[dict]:
    """Pure checks (unreachable rules, equal-precedence overlaps) plus the database's: targets that
    do not exist and targets with nobody on shift right now."""

    out = [{"code": w.code, "rules": list(w.rules), "message": w.message} for w in pure.validate(matrix)]
    teams = {t.name.lower(): t for t in Team.objects.filter(tenant_id=tenant_id)}
    levels = {t.level for t in teams.values()}
    policies = {n.lower() for n in SlaPolicy.objects.filter(tenant_id=tenant_id).values_list("name", flat=True)}
    for rule in matrix.rules:
        then = rule.then
        if then.team and then.team.lower() not in teams:
            out.append({"code": "missing_team", "rules": [rule.name], "message": f"team {then.team!r} does not exist"})
        elif then.team and not _on_shift_now(teams[then.team.lower()], now):
            out.append({"code": "nobody_on_shift", "rules": [rule.name],
                        "message": f"team {then.team!r} has no member on shift now"})
        elif not then.team and then.level not in levels:
            out.append({"code": "missing_level", "rules": [rule.name],
                        "message": f"no team at level {then.level}"})
        if then.sla_policy and then.sla_policy.lower() not in policies:
            out.append({"code": "missing_sla_policy", "rules": [rule.name],
                        "message": f"SLA policy {then.sla_policy!r} does not exist"})
    return out


# Problems that make a matrix unusable: a rule sending cases to a team, level or policy that does not
# exist in this tenant would make every case it matches fail at intake. Publishing refuses them; the
# other warnings (unreachable, overlap, nobody on shift) are advice and do not block.
BLOCKING = frozenset({"missing_team", "missing_level", "missing_sla_policy"})


def blocking_problems(warnings: list[dict]) -> list[dict]:
    return [w for w in warnings if w["code"] in BLOCKING]


def refuse_if_blocked(tenant, matrix: pure.Matrix, now: dt.datetime) -> None:
    problems = blocking_problems(warnings_for(tenant.pk, matrix, now))
    if problems:
        raise InvalidInput(
            "the matrix cannot be published: " + "; ".join(f"rule {p['rules'][0]!r}: {p['message']}"
                                                             for p in problems[:20]),
            code="matrix_not_publishable",
            fields={f"rules.{p['rules'][0]}": p["message"] for p in problems[:50]})


def import_draft(tenant, text: str, *, actor: Actor, now: dt.datetime, note: str = "") -> tuple[MatrixVersion, list]:
    require_aware(now)
    scoping.check(actor, Perm.CONFIGURE, tenant.pk)
    matrix = parse_yaml(text)
    for _ in range(3):  # two admins importing at once: the loser takes the next number
        try:
            with transaction.atomic():
                number = (MatrixVersion.objects.filter(tenant=tenant).aggregate(n=Max("number"))["n"] or 0) + 1
                version = MatrixVersion.objects.create(
                    tenant=tenant, number=number, spec=pure.matrix_to_dict(matrix), note=note[:300],
                    created_at=now, created_by=actor.user)
            return version, warnings_for(tenant.pk, matrix, now)
        except IntegrityError:
            continue
    raise IllegalTransition("another matrix version was being saved at the same time; try again", code="busy")


def get_version(tenant, number: int) -> MatrixVersion:
    version = MatrixVersion.objects.filter(tenant=tenant, number=number).first()
    if version is None:
        raise NotFound(f"matrix version {number} not found", fields={"version": "not found"})
    return version


PUBLISH_AHEAD_MAX = dt.timedelta(days=366)


def publish(tenant, number: int, *, actor: Actor, now: dt.datetime,
            effective_from: dt.datetime | None = None) -> MatrixVersion:
    require_aware(now)
    scoping.check(actor, Perm.CONFIGURE, tenant.pk)
    when = effective_from or now
    require_aware(when)
    with transaction.atomic():
        version = MatrixVersion.objects.select_for_update().filter(tenant=tenant, number=number).first()
        if version is None:
            raise NotFound(f"matrix version {number} not found", fields={"version": "not found"})
        if version.state == MatrixVersion.State.PUBLISHED:
            raise IllegalTransition(f"version {number} is already published", code="already_published")
        if when < now:
            raise InvalidInput("a version cannot take effect in the past (history is never rewritten)",
                               fields={"effective_from": "in the past"})
        if when > now + PUBLISH_AHEAD_MAX:
            # A version scheduled decades out would sit in force-to-be forever, and one near year
            # 9999 overflows every date computed from it.
            raise InvalidInput("a version can be scheduled at most a year ahead",
                               fields={"effective_from": "more than a year ahead"})
        # Drafts were validated at import; refuse a corrupted one, and one whose targets are gone.
        refuse_if_blocked(tenant, pure.matrix_from_dict(version.spec), now)
        version.state, version.effective_from = MatrixVersion.State.PUBLISHED, when
        version.published_at, version.published_by = now, actor.user
        version.save(update_fields=["state", "effective_from", "published_at", "published_by"])
    return version


def export_yaml(tenant, number: int | None = None, *, actor: Actor, now: dt.datetime) -> str:
    scoping.check(actor, Perm.VIEW, tenant.pk)
    version = get_version(tenant, number) if number else version_in_force(tenant.pk, now)
    if version is None:
        raise NotFound(f"{tenant.code} has no published escalation matrix", fields={"version": "none in force"})
    return dump_matrix_yaml(pure.matrix_from_dict(version.spec))


def dry_run(tenant, *, actor: Actor, now: dt.datetime, type: str, priority: str, title: str,
            description: str = "", customer=None, customer_tier: str | None = None, channel: str,
            custom_fields: dict | None = None, team: Team | None = None) -> dict:
    """Where would this go, and why? The same `plan()` intake runs, without taking a slot."""
    scoping.check(actor, Perm.VIEW, tenant.pk)
    if customer is None and customer_tier:

        customer = Customer(tenant=tenant, name="(dry run)", tier=customer_tier)
    result = plan(tenant, type=type, priority=priority, title=title, description=description, customer=customer,
                  channel=channel, custom_fields=custom_fields, now=now, team=team, lock=False)
    out = result.as_dict()
    out["team_level"] = result.team.level if result.team else None
    return out


def version_dict(version: MatrixVersion) -> dict:
    return {"number": version.number, "state": version.state, "note": version.note,
            "effective_from": version.effective_from, "created_at": version.created_at,
            "published_at": version.published_at, "rules": len(version.spec.get("rules", []))}



def escalate_plan(esc, *, now: dt.datetime):
    """What escalating `esc` without further thought does: the matrix's team when it names one the
    case can go up to, else the next level up. Returns (plan, error); the escalate form defaults to
    plan.team, so the guidance panel and the submitted form name the same team and owner."""

    kw = dict(type=esc.type, priority=esc.priority, title=esc.title, description=esc.description,
              customer=esc.customer if esc.customer_id else None, channel=esc.channel, now=now, lock=False)
    error = None
    try:
        routed = plan(esc.tenant, **kw)
        if routed.team.pk != esc.team_id and routed.team.level >= esc.level:
            return routed, None
    except DomainError as exc:
        error = None if exc.code == "no_route" else exc.message
    parent = esc.team.parent if esc.team.parent_id else None
    if parent is None:
        return None, error
    return plan(esc.tenant, team=parent, **kw), error


def escalate_guidance_context(esc, *, now) -> dict:
    """The escalate panel's guidance: the team the form defaults to, and who its policy gives it to."""
    routed, error = escalate_plan(esc, now=now)
    result = None
    if routed is not None:
        result = routed.as_dict()
        result["team"], result["team_level"] = routed.team, routed.team.level
        # A rule that does not name this team only lent its SLA and priority: say "escalating sends".
        result["by_matrix"] = bool(routed.rule) and routed.team.pk != (esc.team.parent_id or 0)
    owner = None
    if result and result["owner_id"]:

        owner = User.objects.filter(pk=result["owner_id"]).first()
    return {"g": result, "error": error, "owner": owner, "escalating": True, "routed": routed,
            "next_up": {"esc": esc, "parent": esc.team.parent}}
