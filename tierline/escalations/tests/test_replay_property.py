"""The event log is a complete account of every escalation: replaying it gives the stored record.

The property test throws random sequences of actions (legal and illegal, by permitted and
forbidden people, with good and bad arguments, fresh and stale versions) at pairs of escalations
and then checks that the row, the log and the tenant's hash chain still agree.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import ProtectedError
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tierline import actions
from tierline.actions._base import TRACKED_FIELDS, tracked_state
from tierline.audit.models import Event
from tierline.audit.tests import tenant_chain_problem
from tierline.core.actors import Actor
from tierline.core.errors import DomainError
from tierline.escalations import replay, states
from tierline.escalations.models import Escalation
from tierline.escalations.replay import check_consistency, initial_state
from tierline.escalations.states import S
from tierline.privacy.keys import open_rows


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Attachments written by these tests land in the test's own directory, not var/.
    settings.MEDIA_ROOT = tmp_path / "media"


def log_of(esc) -> list[dict]:
    """The escalation's log as an export would carry it: plain mappings, no model objects, the
    customer's sealed text opened (tierline/privacy)."""
    return open_rows(list(Event.objects.filter(escalation_id=esc.pk).order_by("seq").values("seq", "type", "data")))


# -- the pure functions ----------------------------------------------------------------------

def test_replay_has_exactly_the_tracked_fields():
    assert TRACKED_FIELDS is replay.FIELDS  # one list, not two kept equal
    assert set(replay.TEXT_FIELDS + replay.NULLABLE_FIELDS + replay.LIST_FIELDS + replay.DICT_FIELDS) == set(
        TRACKED_FIELDS)
    assert replay.replay([]) == initial_state()


def test_replay_folds_changes_in_sequence_order_whatever_the_input_order():
    events = [
        {"seq": 7, "data": {"changes": {"status": ["acknowledged", "in_progress"]}}},
        {"seq": 3, "data": {"changes": {"status": [None, "new"], "title": [None, "A"], "tags": [None, ["x"]]}}},
        {"seq": 5, "data": {"changes": {"status": ["new", "acknowledged"], "owner": [None, 4]}}},
        {"seq": 6, "data": {"body": "a note without changes"}},
    ]
    state = replay.replay(events)
    assert (state["status"], state["title"], state["owner"], state["tags"]) == ("in_progress", "A", 4, ["x"])
    assert state["watchers"] == [] and state["custom_fields"] == {} and state["description"] == ""
    assert check_consistency(events) is None


def test_replay_does_not_share_lists_with_the_events():
    events = [{"seq": 1, "data": {"changes": {"tags": [None, ["a"]]}}}]
    replay.replay(events)["tags"].append("b")
    assert events[0]["data"]["changes"]["tags"] == [None, ["a"]]


def test_check_consistency_names_the_first_change_whose_before_is_wrong():
    events = [
        {"seq": 1, "data": {"changes": {"priority": [None, "P3"], "status": [None, "new"]}}},
        {"seq": 2, "data": {"changes": {"priority": ["P3", "P2"]}}},
        {"seq": 3, "data": {"changes": {"priority": ["P3", "P1"]}}},  # P2 → P1 happened unlogged
        {"seq": 4, "data": {"changes": {"status": ["open", "closed"]}}},
    ]
    problem = check_consistency(events)
    assert (problem.seq, problem.field, problem.expected, problem.found) == (3, "priority", "P2", "P3")
    assert str(problem).startswith("event #3, priority: says it changed from 'P3'")


@pytest.mark.parametrize(("events", "field"), [
    ([{"seq": 1, "data": {"changes": {"status": ["new", "acknowledged"]}}}], "status"),  # creation is missing
    ([{"seq": 1, "data": {"changes": {"mood": [None, "happy"]}}}], "mood"),
    ([{"seq": 1, "data": {"changes": {"title": "just a value"}}}], "title"),
    ([{"seq": 1, "data": {"changes": {"tags": [None, []]}}},
      {"seq": 2, "data": {"changes": {"tags": [["gone"], ["x"]]}}}], "tags"),
])
def test_check_consistency_rejects_logs_that_cannot_be_a_complete_account(events, field):
    problem = check_consistency(events)
    assert problem is not None and problem.field == field


# -- against the database --------------------------------------------------------------------

def test_a_change_written_around_the_actions_is_caught_by_replay(world):
    esc = world.escalation()
    with connection.cursor() as cursor:  # what a stray script would do
        cursor.execute("UPDATE escalations_escalation SET priority = 'P1' WHERE id = %s", [esc.pk])
    row = Escalation.objects.get(pk=esc.pk)
    assert replay.replay(log_of(row))["priority"] == "P3" != tracked_state(row)["priority"]
    actions.change_priority(row, "P2", actor=world.actor(), now=world.now)
    problem = check_consistency(log_of(row))
    assert (problem.field, problem.expected, problem.found) == ("priority", "P3", "P1")


def test_deleting_a_watching_user_cannot_change_the_watchers_behind_the_logs_back(world):
    esc = world.escalation(watchers=[world.users["executive"]])
    with pytest.raises(ProtectedError):
        world.users["executive"].delete()
    row = Escalation.objects.get(pk=esc.pk)
    assert tracked_state(row)["watchers"] == [world.users["executive"].pk]
    assert replay.replay(log_of(row)) == tracked_state(row)


# Weighted towards people and arguments that succeed, so that sequences get deep into the lifecycle
# while every kind of refusal still turns up.
ROLES = ["supervisor"] * 6 + ["agent", "specialist", "manager", "compliance", "client_viewer", "other_tenant"]
MOVES = ["acknowledge", "start_progress", "set_pending", "resume", "resolve", "close", "reopen", "cancel",
         "assign", "unassign", "escalate", "de_escalate", "change_priority", "add_internal_note",
         "add_public_reply", "add_attachment", "set_tags", "watch", "unwatch", "edit_details", "link", "unlink",
         "merge"]
# State-machine moves forward through the lifecycle and the action that makes each (cancel and merge
# end it early, so they come only from the unguided draws).
ACTION_FOR_MOVE = {"acknowledge": "acknowledge", "start_progress": "start_progress", "pend_customer": "set_pending",
                   "pend_third_party": "set_pending", "resume": "resume", "resolve": "resolve", "close": "close",
                   "reopen": "reopen"}
TIMES = st.builds(
    lambda minutes, zone: (dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)).astimezone(
        zone) if zone else dt.datetime(2026, 3, 2, 9, 30) + dt.timedelta(minutes=minutes),
    st.integers(0, 60 * 24 * 30),
    st.sampled_from([dt.UTC] * 6 + [ZoneInfo("Asia/Manila"), ZoneInfo("America/New_York"), None]),  # None: naive
)


def apply_random_action(data, world, esc, other):
    """Draw one action with random arguments and run it on esc (and other, for links/merges)."""
    draw = data.draw
    u = world.users
    current = Escalation.objects.get(pk=esc.pk)
    legal = sorted({ACTION_FOR_MOVE[m] for m in states.allowed_moves(current.status) if m in ACTION_FOR_MOVE})
    if legal and draw(st.integers(0, 2), label="follow the lifecycle") > 0:
        name = draw(st.sampled_from(legal), label="action")
    else:
        name = draw(st.sampled_from(MOVES), label="action")
    who = draw(st.sampled_from(ROLES), label="actor")
    actor = world.actor(who) if who != "other_tenant" else Actor.for_user(world.other_user)
    now = draw(TIMES, label="now")
    kw = {"actor": actor, "now": now}
    version = draw(st.sampled_from(["none"] * 4 + ["current", "stale"]), label="version")
    if version != "none":
        kw["expected_version"] = current.version if version == "current" else current.version - 1
    person = st.sampled_from([*u.values(), world.other_user])
    team = st.sampled_from([*world.teams.values(), world.other_team, None])
    reason = st.sampled_from(["", "Customer asked", "SLA at risk", "Needs a specialist"])
    tags = st.lists(st.sampled_from(["vip", "Outage", "billing", "bad tag!", "refund"]), max_size=3)
    calls = {
        "acknowledge": lambda: actions.acknowledge(esc, **kw),
        "start_progress": lambda: actions.start_progress(esc, **kw),
        "set_pending": lambda: actions.set_pending(
            esc, waiting_on=draw(st.sampled_from(["customer", "third_party", "moon"])), reason=draw(reason), **kw),
        "resume": lambda: actions.resume(esc, **kw),
        "resolve": lambda: actions.resolve(
            esc, summary=draw(st.sampled_from(["Fixed", "Refunded"] * 3 + [""])),
            resolution_code=draw(st.sampled_from(["fixed", "refund", "workaround"] * 3 + ["magic"])),
            root_cause_category=draw(st.sampled_from(["", "billing_error", "training"] * 3 + ["gremlins"])),
            **dict(zip(("compensation_amount", "compensation_currency"), draw(st.sampled_from([
                (None, ""), (None, ""), (None, ""), ("12.5", "eur"), ("0", "USD"), ("12.50", "EUR"),
                ("", "EUR"), ("-3", "EUR"), ("9", "E1"),
            ])), strict=True)), **kw),
        "close": lambda: actions.close(esc, **kw),
        "reopen": lambda: actions.reopen(esc, reason=draw(reason), **kw),
        "cancel": lambda: actions.cancel(esc, reason=draw(reason), **kw),
        "assign": lambda: actions.assign(esc, draw(st.one_of(person, st.none())), **kw),
        "unassign": lambda: actions.unassign(esc, **kw),
        "escalate": lambda: actions.escalate(
            esc, reason=draw(reason), trigger=draw(st.sampled_from(["hierarchical", "functional", "time_based", "x"])),
            team=draw(team), **kw),
        "de_escalate": lambda: actions.de_escalate(esc, reason=draw(reason), team=draw(team), **kw),
        "change_priority": lambda: actions.change_priority(
            esc, draw(st.sampled_from(["P1", "P2", "P3", "P4", "P9"])), reason=draw(reason), **kw),
        "add_internal_note": lambda: actions.add_internal_note(esc, draw(reason), **kw),
        "add_public_reply": lambda: actions.add_public_reply(esc, draw(reason), **kw),
        "add_attachment": lambda: actions.add_attachment(
            esc, filename="trace.txt", content=draw(st.sampled_from([b"", b"trace", b"x" * 64])),
            content_type=draw(st.sampled_from(["text/plain", "application/x-msdownload"])), **kw),
        "set_tags": lambda: actions.set_tags(esc, add=draw(tags), remove=draw(tags), **kw),
        "watch": lambda: actions.watch(esc, draw(person), **kw),
        "unwatch": lambda: actions.unwatch(esc, draw(person), **kw),
        "edit_details": lambda: actions.edit_details(esc, **draw(st.fixed_dictionaries({}, optional={
            "title": st.sampled_from(["", "Login broken", "Customer cannot log in"]),
            "description": reason,
            "type": st.sampled_from(["technical", "billing", "nonsense"]),
            "channel": st.sampled_from(["phone", "chat"]),
            "external_id": st.sampled_from(["", "ZD-7"]),
            "customer": st.sampled_from([world.customer, world.vip, world.other_customer, None]),
        })), **kw),
        "link": lambda: actions.link(
            esc, draw(st.sampled_from([other, esc])), kind=draw(st.sampled_from(["related_to", "parent_of", "x"])),
            **kw),
        "unlink": lambda: actions.unlink(esc, other, kind=draw(st.sampled_from(["related_to", "parent_of"])), **kw),
        "merge": lambda: actions.merge(esc, other, reason=draw(reason), **kw),
    }
    try:
        result = calls[name]()
    except DomainError as exc:
        event(f"{name}: refused ({exc.code})")
        return
    event(f"{name}: done")
    assert result.status in tuple(S)


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_action_sequences_keep_record_log_and_chain_in_step(world, data):
    a = world.escalation(watchers=[world.users["manager"]], tags=["vip"])
    b = world.escalation(title="Second caller with the same problem", priority="P2", team=world.teams["l2"])
    for _ in range(data.draw(st.integers(6, 16), label="steps")):
        first, second = data.draw(st.permutations([a, b]), label="target")
        apply_random_action(data, world, first, second)

    for esc in (a, b):
        row = Escalation.objects.get(pk=esc.pk)
        log = log_of(row)
        assert row.status in tuple(S)
        assert all(e["data"]["changes"]["status"][1] in tuple(S) for e in log if "status" in e["data"].get("changes", {}))
        assert replay.replay(log) == tracked_state(row)
        assert check_consistency(log) is None
        # Every successful action bumps the version once and writes one event for each record it touched.
        assert row.version == len(log)
    assert tenant_chain_problem(world.tenant.pk) is None
    assert tenant_chain_problem(world.other_tenant.pk) is None
