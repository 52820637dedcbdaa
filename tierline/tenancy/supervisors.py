"""Who stands above a team: its leads, and the leads of every team up the parent chain.

Read on the write path (SLA notify steps, update-cadence reminders), so the reads are cheap:
the parent comes through the compiled query and stays cached on the team, the leads in one
plain query.
"""

from __future__ import annotations

from django.db import connection

from tierline.core.compiled import fetch_instances
from tierline.tenancy.models import Team, TeamMember


def _team_query():
    return Team.objects.filter(pk=0)


def parent_of(team):
    """team.parent, read with the compiled query when not already loaded, and kept on the team."""
    field = Team._meta.get_field("parent")
    if team.parent_id is not None and not field.is_cached(team):
        found = fetch_instances("team", _team_query, [team.parent_id])
        if found:
            field.set_cached_value(team, found[0])
    return team.parent


def leads(team_ids: list[int]) -> set[int]:
    """The leads of these teams: one query (plain SQL: compiling a queryset costs more)."""
    if not team_ids:
        return set()
    opts, quote = TeamMember._meta, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(opts.get_field('user').column)} FROM {quote(opts.db_table)} "
            f"WHERE {quote(opts.get_field('is_lead').column)} AND {quote(opts.get_field('team').column)} "
            f"IN ({', '.join(['%s'] * len(team_ids))})", team_ids)
        return {user_id for (user_id,) in cursor.fetchall()}


def supervisor_chain(team) -> set[int]:
    chain, seen = [], set()
    while team is not None and team.pk not in seen:
        seen.add(team.pk)
        chain.append(team.pk)
        team = parent_of(team)
    return leads(chain)
