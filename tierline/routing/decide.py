"""Where an escalation goes and who gets it: the matrix in force, resolved against the database.

`plan()` is the one function both the dry run and intake call, so "where would this go?" and
"where did it go?" can never disagree. Intake passes `lock=True` inside its transaction: the
team's routing row is locked and its round-robin cursor moved, so two intakes never take the
same slot.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field

from django.db.models import Count

from tierline.calendars.spec import calendar_from_dict
from tierline.calendars.timecalc import is_open
from tierline.core.canonical import dumps
from tierline.core.errors import InvalidInput
from tierline.escalations.models import OPEN_STATUSES, Escalation
from tierline.learning import routing_models as learned_routing
from tierline.routing import assignment as pure_assign
from tierline.routing import matrix as pure_matrix
from tierline.routing.models import AgentProfile, Leave, MatrixVersion, RoutingSettings, TeamRouting
from tierline.sla.models import SlaPolicy, select_policy
from tierline.sla.policy import AmbiguousPolicy
from tierline.tenancy.models import Membership, Team, TeamMember

# Which team function serves an escalation type, when a rule names only a level.
TYPE_FUNCTION = {
    "technical": "technical", "billing": "billing", "compensation": "billing", "compliance": "compliance",
    "product": "product", "account": "account", "workforce": "workforce", "security": "it",
    "executive": "executive_office", "customer_experience": "customer_care", "dispute": "customer_care",
}
# Parsed matrices by (row, content): parsing 200 rules costs far more than the key.
_PARSED: dict[tuple[int, str], pure_matrix.Matrix] = {}


@dataclass
class Plan:
    matrix_version: int | None
    rule: str | None
    trigger: str
    reasons: list[str]
    near_misses: list[dict]
    team: Team | None
    level: int | None
    priority: str
    sla_policy: object | None  # SlaPolicy
    sla_policy_note: str
    notify_users: list[int]
    require: list[str]
    owner_id: int | None = None
    assignment: dict = field(default_factory=dict)
    learned: dict | None = None  # the learned model's team suggestion, when it routed the case

    def as_dict(self) -> dict:
        return {
            "matrix_version": self.matrix_version, "rule": self.rule, "trigger": self.trigger,
            "reasons": self.reasons, "near_misses": self.near_misses,
            "team": {"id": self.team.pk, "name": self.team.name} if self.team else None,
            "level": self.level, "priority": self.priority,
            "sla_policy": ({"id": self.sla_policy.pk, "name": self.sla_policy.name} if self.sla_policy else None),
            "sla_policy_note": self.sla_policy_note, "notify_users": self.notify_users, "require": self.require,
            "owner_id": self.owner_id, "assignment": self.assignment, "learned": self.learned,
        }


def settings_for(tenant_id: int) -> RoutingSettings:
    found = RoutingSettings.objects.filter(tenant_id=tenant_id).select_related("calendar").first()
    return found or RoutingSettings(tenant_id=tenant_id)


def version_in_force(tenant_id: int, now: dt.datetime) -> MatrixVersion | None:
    return (MatrixVersion.objects.filter(tenant_id=tenant_id, state=MatrixVersion.State.PUBLISHED,
                                         effective_from__lte=now)
            .order_by("-effective_from", "-number").first())


def parsed(version: MatrixVersion) -> pure_matrix.Matrix:
    # Keyed by content as well as identity: a row id can come back (a rolled-back transaction, a
    # restored backup) with a different matrix behind it.
    key = (version.pk, json.dumps(version.spec))
    if key not in _PARSED:
        _PARSED[key] = pure_matrix.matrix_from_dict(version.spec)
    return _PARSED[key]


def _business_hours(settings: RoutingSettings, now: dt.datetime) -> bool | None:
    if settings.calendar_id is None:
        return None
    return is_open(now, calendar_from_dict(settings.calendar.spec))


def resolve_team(tenant_id: int, outcome, type: str, origin: Team | None) -> Team:
    """The team a rule's outcome names: by name, else the team at its level (origin's chain first)."""
    if outcome.team:
        team = Team.objects.filter(tenant_id=tenant_id, name__iexact=outcome.team).first()
        if team is None:
            raise InvalidInput(f"the matrix names a team that does not exist: {outcome.team!r}",
                               code="matrix_target_missing", fields={"team": outcome.team})
        return team
    level = outcome.level
    node = origin
    while node is not None:  # the origin's own chain up the hierarchy
        if node.level == level:
            return node
        node = node.parent
    candidates = list(Team.objects.filter(tenant_id=tenant_id, level=level).order_by("id"))
    if not candidates:
        raise InvalidInput(f"the matrix sends this to level {level}, but the tenant has no team there",
                           code="matrix_target_missing", fields={"level": str(level)})
    wanted = TYPE_FUNCTION.get(type)
    return next((t for t in candidates if t.function == wanted), candidates[0])


def notify_targets(tenant_id: int, entries, team: Team | None) -> list[int]:
    users: set[int] = set()
    for entry in entries:
        kind, _, value = entry.partition(":")
        if kind == "role":
            users |= set(Membership.objects.filter(tenant_id=tenant_id, role=value).values_list("user_id", flat=True))
        elif kind == "team":
            users |= set(TeamMember.objects.filter(tenant_id=tenant_id, team__name__iexact=value)
                         .values_list("user_id", flat=True))
        elif kind == "user":
            users |= set(Membership.objects.filter(tenant_id=tenant_id, user__username=value)
                         .values_list("user_id", flat=True))
        elif kind == "team_lead" and team is not None:
            users |= set(TeamMember.objects.filter(team=team, is_lead=True).values_list("user_id", flat=True))
    return sorted(users)


@functools.lru_cache(maxsize=512)
def _shift(spec_json: str):
    return calendar_from_dict(json.loads(spec_json))


def shift_calendar(spec: dict):
    """Parsed once per distinct shift spec: parsing builds holiday tables, too slow for every intake."""
    return _shift(dumps(spec))


# team id -> (roster_version, loaded at (monotonic), roster): the slow-changing part of candidates.
_ROSTERS: dict[int, tuple[int, float, list[dict]]] = {}
ROSTER_TTL = 60.0  # seconds; a safety net for bulk loads that bypass the version signals


def _roster(team: Team, now: dt.datetime) -> list[dict]:
    members = list(TeamMember.objects.filter(team=team)
                   .values_list("user_id", "user__username", "user__is_active", "is_lead"))
    ids = [m[0] for m in members]
    profiles = {row[0]: row[1:] for row in AgentProfile.objects.filter(tenant_id=team.tenant_id, user_id__in=ids)
                .values_list("user_id", "shift", "capacity", "skills", "languages")}
    leave: dict[int, list] = {}
    for user_id, start, end in (Leave.objects.filter(tenant_id=team.tenant_id, user_id__in=ids, ends_at__gt=now)
                                .values_list("user_id", "starts_at", "ends_at")):
        leave.setdefault(user_id, []).append((start, end))
    roster = []
    for user_id, username, active, is_lead in members:
        shift, capacity, skills, languages = profiles.get(user_id, (None, None, (), ()))
        roster.append({"user_id": user_id, "name": username, "active": active, "is_lead": is_lead,
                       "shift": shift_calendar(shift) if shift else None, "capacity": capacity,
                       "skills": frozenset(skills or ()), "languages": frozenset(languages or ()),
                       "leave": tuple(leave.get(user_id, ()))})
    return roster


def candidates(team: Team, now: dt.datetime, roster_version: int | None = None) -> list[pure_assign.Candidate]:
    """Everyone in the team as assignment sees them. The roster (members, profiles, leave) is cached
    per process under the team's roster_version; only the open workload is read every time."""
    import time


    cached = _ROSTERS.get(team.pk)
    if (roster_version is None or cached is None or cached[0] != roster_version
            or time.monotonic() - cached[1] > ROSTER_TTL):
        roster = _roster(team, now)
        if roster_version is not None:
            _ROSTERS[team.pk] = (roster_version, time.monotonic(), roster)
    else:
        roster = cached[2]
    counts: dict[int, int] = {}
    loads: dict[int, int] = {}
    open_rows = (Escalation.objects.filter(tenant_id=team.tenant_id, status__in=OPEN_STATUSES,
                                           owner__team_memberships__team=team)
                 .values_list("owner_id", "priority").annotate(n=Count("id")).order_by())
    for owner_id, priority, n in open_rows:
        counts[owner_id] = counts.get(owner_id, 0) + n
        loads[owner_id] = loads.get(owner_id, 0) + n * pure_assign.PRIORITY_WEIGHT[priority]
    return [pure_assign.Candidate(open_count=counts.get(r["user_id"], 0), open_load=loads.get(r["user_id"], 0), **r)
            for r in roster]


def assign_in_team(team: Team, *, type: str, text: str, language: str | None, now: dt.datetime,
                   settings: RoutingSettings, lock: bool) -> tuple[int | None, dict]:
    query = TeamRouting.objects.filter(team=team)
    routing = (query.select_for_update() if lock else query).first()
    if routing is None or routing.strategy == TeamRouting.Strategy.MANUAL:
        return None, {"strategy": "manual", "reason": "the team works its queue (manual assignment)"}
    requirement = pure_assign.Requirement(
        skills=pure_assign.required_skills(type, text, settings.type_skills, settings.keyword_skills),
        language=language)
    choice = pure_assign.choose(candidates(team, now, routing.roster_version), strategy=routing.strategy, now=now,
                                cursor=routing.cursor, requirement=requirement)
    if lock and choice.user_id is not None:
        routing.cursor = choice.cursor
        routing.assignments += 1
        routing.save(update_fields=["cursor", "assignments"])
    return choice.user_id, {"strategy": choice.strategy, "reason": choice.reason, "fallback": choice.fallback,
                            "skipped": [{"user_id": s.user_id, "reason": s.reason} for s in choice.skipped],
                            "required_skills": sorted(requirement.skills)}


def learned_team(tenant, *, type, priority, title, description, customer, channel) -> dict | None:
    """The tenant's learned team suggestion, when its confidence reaches the tenant's threshold."""
    suggestion = learned_routing.suggest(tenant.pk, title=title, description=description or "", type=type,
                                         priority=priority, channel=channel,
                                         customer_tier=customer.tier if customer else None)
    team = (suggestion or {}).get("team")
    if team is None or team["confidence"] < learned_routing.threshold(tenant.pk):
        return None
    version = suggestion["version"]
    return {"team": team["team"], "model_version": version, "confidence": team["confidence"],
            "reasons": team["reasons"], "rule": f"learned routing model v{version}",
            "why": (f"learned routing model v{version}: {team['label']} with confidence {team['confidence']:.0%}"
                    f" ({', '.join(team['reasons']) or 'no single word stands out'})")}


def plan(tenant, *, type: str, priority: str, title: str, description: str = "", customer=None,
         channel: str, custom_fields: dict | None = None, now: dt.datetime, team: Team | None = None,
         owner=None, lock: bool = False) -> Plan:
    """Route one case. An explicit `team` is honoured (the matrix still sets priority, SLA policy,
    notifications and required fields when a rule matches); without one the matrix must decide."""

    settings = settings_for(tenant.pk)
    version = version_in_force(tenant.pk, now)
    decision = None
    if version is not None:
        case = pure_matrix.Case(
            type=type, priority=priority, customer_tier=customer.tier if customer else None, channel=channel,
            title=title, description=description or "", custom_fields=custom_fields or {},
            business_hours=_business_hours(settings, now))
        decision = pure_matrix.match(parsed(version), case)
    rule = decision.rule if decision else None
    outcome = rule.then if rule else None
    target = team
    overridden = None
    learned = None
    if outcome is not None and (target is None or outcome.trigger == "priority_based"):
        # An urgent (priority-based) rule wins over a team chosen by hand: it goes straight up.
        routed = resolve_team(tenant.pk, outcome, type, None)
        if target is not None and routed.pk != target.pk:
            overridden = f"priority-based rule {rule.name!r} overrides the chosen team {target.name}"
        target = routed
    elif target is None and (learned := learned_team(tenant, type=type, priority=priority, title=title,
                                                       description=description, customer=customer,
                                                       channel=channel)):
        target = learned["team"]
    elif target is None:
        why = "no matrix rule matched" if version else "the tenant has no published escalation matrix"
        raise InvalidInput(f"{why}: name the team to escalate to", code="no_route", fields={"team": "required"})
    final_priority = (outcome.priority if outcome and outcome.priority else priority)
    tier = customer.tier if customer else None
    note = ""
    policy = None
    if outcome and outcome.sla_policy:
        policy = SlaPolicy.objects.filter(tenant_id=tenant.pk, name__iexact=outcome.sla_policy,
                                          is_active=True).first()
        note = f"named by rule {rule.name}" if policy else f"rule names missing policy {outcome.sla_policy!r}"
    if policy is None:
        try:
            policy = select_policy(tenant.pk, priority=final_priority, type=type, customer_tier=tier)
            note = note or ("selected by priority, type and tier" if policy else "no SLA policy matches")
        except AmbiguousPolicy as exc:
            note = str(exc)
    result = Plan(
        matrix_version=version.number if version else None,
        rule=rule.name if rule else (learned["rule"] if learned else None),
        trigger=outcome.trigger if outcome else ("functional" if team is not None else "rule"),
        reasons=list(decision.reasons if decision else ()) + ([overridden] if overridden else []),
        near_misses=[{"rule": n.rule, "precedence": n.precedence, "failed": list(n.failed)}
                     for n in (decision.near_misses if decision else ())],
        team=target, level=target.level, priority=final_priority, sla_policy=policy, sla_policy_note=note,
        notify_users=notify_targets(tenant.pk, outcome.notify, target) if outcome else [],
        require=list(outcome.require) if outcome else [],
        learned=({k: v for k, v in learned.items() if k != "team"} if learned else None),
    )
    if learned:
        result.reasons = [learned["why"]]
    if owner is not None:
        result.owner_id = owner.pk
        result.assignment = {"strategy": "manual", "reason": f"assigned by hand to {owner}"}
    else:
        language = customer.language if customer else None
        result.owner_id, result.assignment = assign_in_team(
            target, type=type, text=f"{title}\n{description or ''}", language=language, now=now,
            settings=settings, lock=lock)
    return result
