"""Keep cached team rosters honest: any change to who is in a team, or to their profile, leave or
account, moves the team's roster_version so every process reloads it on its next decision."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from tierline.routing.models import AgentProfile, Leave, TeamRouting
from tierline.tenancy.models import TeamMember


def _bump(team_ids) -> None:
    ids = list(team_ids)
    if ids:
        TeamRouting.objects.filter(team_id__in=ids).update(roster_version=F("roster_version") + 1)


def _teams_of(user_id: int, tenant_id: int | None = None):
    qs = TeamMember.objects.filter(user_id=user_id)
    if tenant_id is not None:
        qs = qs.filter(tenant_id=tenant_id)
    return qs.values_list("team_id", flat=True)


def on_member(sender, instance, **kwargs):
    _bump([instance.team_id])


def on_profile_or_leave(sender, instance, **kwargs):
    _bump(_teams_of(instance.user_id, instance.tenant_id))


def on_user(sender, instance, **kwargs):
    _bump(_teams_of(instance.pk))


def connect() -> None:

    for signal in (post_save, post_delete):
        signal.connect(on_member, sender=TeamMember, dispatch_uid=f"routing-member-{signal}")
        signal.connect(on_profile_or_leave, sender=AgentProfile, dispatch_uid=f"routing-profile-{signal}")
        signal.connect(on_profile_or_leave, sender=Leave, dispatch_uid=f"routing-leave-{signal}")
    post_save.connect(on_user, sender=get_user_model(), dispatch_uid="routing-user")
