"""The SLA clock on hand-computed histories. Each case's working is in its comments; office hours
are Europe/London Mon-Fri 09:00-17:00 with English bank holidays (GMT = UTC until 29 March 2026),
24x7 is plain elapsed time."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tierline.audit.event_types import EventType as E
from tierline.calendars.spec import calendar_from_dict
from tierline.calendars.timecalc import business_time_between
from tierline.sla import clock
from tierline.sla.clock import evaluate
from tierline.sla.clock_marks import due_marks, marks, next_due, schedule, time_by_level_and_team

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
OFFICE = {"timezone": "Europe/London",
          "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
          "holidays": {"country": "GB", "subdivision": "ENG"}}
ALWAYS = {"timezone": "UTC", "always_open": True}
MON = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday 09:00 London
FRI_16 = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)  # Friday 16:00 London


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def policy(calendar=None, generation=1, warnings=(), steps=(), pause=("pending_customer",), **targets):
    return {"policy_id": 7, "version": 1, "name": "Standard", "generation": generation,
            "calendar": calendar or ALWAYS, "calendar_version": 1,
            "targets": {k: _seconds(v) for k, v in targets.items()},
            "pause_statuses": list(pause), "warnings": list(warnings), "steps": list(steps)}


def _seconds(value: timedelta) -> int | float:
    seconds = value.total_seconds()
    return int(seconds) if seconds.is_integer() else seconds


class Log:
    """An escalation's events, built the way the actions write them."""

    def __init__(self, t0: datetime, pol: dict | None, level=1, team=10):
        self.events: list[dict] = []
        self.status = None
        self.add(E.CREATED, t0, status="new", level=[None, level], team=[None, team])
        self.add(E.SLA_POLICY_APPLIED, t0, policy=pol, reason="created")

    def add(self, type_, when, status=None, **data):
        changes = {k: data.pop(k) for k in ("level", "team") if k in data}
        if status is not None:
            changes["status"] = [self.status, status]
            self.status = status
        if changes:
            data["changes"] = changes
        self.events.append({"seq": len(self.events) + 1, "type": int(type_), "occurred_at": when, "data": data})
        return self

    def ack(self, when):
        return self.add(E.ACKNOWLEDGED, when, status="acknowledged")

    def progress(self, when):
        return self.add(E.STATUS_CHANGED, when, status="in_progress")

    def pend(self, when, status="pending_customer"):
        return self.add(E.STATUS_CHANGED, when, status=status)

    def reply(self, when):
        return self.add(E.PUBLIC_REPLY, when, body="...")

    def resolve(self, when):
        return self.add(E.RESOLVED, when, status="resolved")

    def reopen(self, when):
        return self.add(E.REOPENED, when, status="reopened")

    def close(self, when):
        return self.add(E.CLOSED, when, status="closed")

    def cancel(self, when):
        return self.add(E.CANCELLED, when, status="cancelled")

    def retime(self, when, pol):
        return self.add(E.SLA_POLICY_APPLIED, when, policy=pol, reason="retime: test")

    def escalate(self, when, level, team, type_=E.ESCALATED):
        before = [e for e in self.events if "level" in e["data"].get("changes", {})][-1]["data"]["changes"]
        return self.add(type_, when, level=[before["level"][1], level], team=[before["team"][1], team])

    def done(self, when, *keys):
        for key in keys:
            kind = {"warn": E.SLA_WARNING, "brea": E.SLA_BREACH, "step": E.SLA_STEP}[key.split(":")[3][:4]]
            self.add(kind, when, sla_key=key)
        return self


def target(log: Log, name: str, as_of: datetime) -> clock.TargetState:
    return evaluate(log.events, as_of).targets[name]


# --- deadlines on office hours ------------------------------------------------------------------

def test_friday_afternoon_four_hours_is_monday_noon():
    log = Log(FRI_16, policy(OFFICE, resolution=4 * H))
    # Fri 16:00-17:00 = 1 h; weekend closed; Mon 09:00 + 3 h = 12:00.
    t = target(log, "resolution", FRI_16 + 30 * MIN)
    assert (t.state, t.elapsed, t.deadline) == ("running", 30 * MIN, at("2026-03-09T12:00+00:00"))
    assert t.remaining == 3.5 * H and t.percent == 12.5
    # Saturday: still running (the status counts), nothing accrues, the deadline stands.
    t = target(log, "resolution", at("2026-03-07T12:00+00:00"))
    assert (t.state, t.elapsed, t.deadline) == ("running", H, at("2026-03-09T12:00+00:00"))


def test_easter_bank_holidays_are_skipped():
    # Thu 2 April 16:00 BST: 1 h today; Good Friday and Easter Monday are English bank holidays;
    # Tue 7 April 09:00 + 3 h = 12:00 BST = 11:00 UTC.
    start = at("2026-04-02T16:00+01:00")
    log = Log(start, policy(OFFICE, resolution=4 * H))
    assert target(log, "resolution", start).deadline == at("2026-04-07T12:00+01:00")


def test_pending_customer_moves_the_deadline_by_the_paused_business_time():
    base = Log(MON, policy(OFFICE, resolution=8 * H)).ack(MON + 10 * MIN).progress(MON + 20 * MIN)
    assert target(base, "resolution", MON + 7 * H).deadline == at("2026-03-02T17:00+00:00")

    # Paused Mon 16:00 -> Tue 10:00: 2 h of business time (16-17 and 09-10).
    pause, resume = at("2026-03-02T16:00+00:00"), at("2026-03-03T10:00+00:00")
    log = Log(MON, policy(OFFICE, resolution=8 * H)).ack(MON + 10 * MIN).progress(MON + 20 * MIN)
    log.pend(pause)
    t = target(log, "resolution", at("2026-03-02T18:00+00:00"))
    assert (t.state, t.elapsed, t.deadline) == ("paused", 7 * H, None)
    assert next_due(log.events, at("2026-03-02T18:00+00:00")) is None  # nothing knowable while paused
    log.add(E.STATUS_CHANGED, resume, status="in_progress")
    t = target(log, "resolution", resume)
    # 7 h before the pause, 1 h left from Tue 10:00: Tue 11:00.
    assert (t.state, t.elapsed, t.deadline) == ("running", 7 * H, at("2026-03-03T11:00+00:00"))
    moved = business_time_between(at("2026-03-02T17:00+00:00"), t.deadline, calendar_from_dict(OFFICE))
    assert moved == business_time_between(pause, resume, calendar_from_dict(OFFICE)) == 2 * H


def test_pending_third_party_counts_unless_listed():
    log = Log(MON, policy(ALWAYS, resolution=4 * H)).ack(MON).pend(MON + H, "pending_third_party")
    assert target(log, "resolution", MON + 3 * H).state == "running"
    log = Log(MON, policy(ALWAYS, resolution=4 * H, pause=["pending_customer", "pending_third_party"]))
    log.ack(MON).pend(MON + H, "pending_third_party")
    assert target(log, "resolution", MON + 3 * H).elapsed == H


# --- met, breached ------------------------------------------------------------------------------

def test_acknowledged_in_time_is_met_with_no_breach_mark():
    log = Log(MON, policy(OFFICE, warnings=[75], acknowledgement=H, resolution=8 * H)).ack(MON + 30 * MIN)
    t = target(log, "acknowledgement", MON + 5 * H)
    assert (t.state, t.elapsed, t.deadline, t.met_at) == ("met", 30 * MIN, MON + 30 * MIN, MON + 30 * MIN)
    assert not [m for m in marks(log.events, MON + 5 * H) if m.target == "acknowledgement"]


def test_acknowledged_late_is_breached_met_and_the_breach_is_still_owed():
    log = Log(MON, policy(ALWAYS, warnings=[75], acknowledgement=H)).ack(MON + 90 * MIN)
    t = target(log, "acknowledgement", MON + 2 * H)
    assert (t.state, t.deadline, t.remaining) == ("breached_met", MON + H, -30 * MIN)
    assert [(m.key, m.at) for m in due_marks(log.events, MON + 2 * H)] == [
        ("acknowledgement:c0:g1:warn75", MON + 45 * MIN), ("acknowledgement:c0:g1:breach", MON + H)]


def test_met_exactly_at_the_deadline_is_in_time():
    log = Log(MON, policy(ALWAYS, acknowledgement=H)).ack(MON + H)
    assert target(log, "acknowledgement", MON + 2 * H).state == "met"
    assert marks(log.events, MON + 2 * H) == []


def test_breach_instant_is_exact_when_past():
    log = Log(FRI_16, policy(OFFICE, resolution=4 * H))
    # As of Tue 10:00: Fri 1 h + Mon 8 h + Tue 1 h = 10 h elapsed; breached Mon 12:00.
    t = target(log, "resolution", at("2026-03-10T10:00+00:00"))
    assert (t.state, t.elapsed, t.deadline) == ("breached_running", 10 * H, at("2026-03-09T12:00+00:00"))
    assert (t.remaining, t.percent) == (-6 * H, 250.0)
    # An odd target: 4 h 17.5 s -> Mon 12:00:17.5.
    log = Log(FRI_16, policy(OFFICE, resolution=4 * H + timedelta(seconds=17.5)))
    t = target(log, "resolution", at("2026-03-10T10:00+00:00"))
    assert t.deadline == at("2026-03-09T12:00:17.500000+00:00")


def test_breach_at_the_close_of_business_stays_there():
    # Mon 09:00 + 8 h = Mon 17:00 exactly: the end of the interval, not Tue 09:00.
    log = Log(MON, policy(OFFICE, resolution=8 * H))
    assert target(log, "resolution", MON).deadline == at("2026-03-02T17:00+00:00")
    assert target(log, "resolution", at("2026-03-02T20:00+00:00")).deadline == at("2026-03-02T17:00+00:00")


# --- warnings and steps -------------------------------------------------------------------------

def test_warnings_at_75_and_90_percent():
    log = Log(MON, policy(ALWAYS, warnings=[90, 75], resolution=4 * H))
    got = [(m.key, m.kind, m.percent, m.at, m.threshold) for m in marks(log.events, MON)]
    assert got == [
        ("resolution:c0:g1:warn75", "warning", 75, MON + 3 * H, 3 * H),
        ("resolution:c0:g1:warn90", "warning", 90, MON + 3.6 * H, 3.6 * H),
        ("resolution:c0:g1:breach", "breach", None, MON + 4 * H, 4 * H),
    ]
    assert next_due(log.events, MON) == MON + 3 * H
    assert [m.key for m in due_marks(log.events, MON + 3.7 * H)] == ["resolution:c0:g1:warn75",
                                                                    "resolution:c0:g1:warn90"]


STEPS = [
    {"target": "resolution", "offset": -1800, "action": "notify", "whom": "supervisor_chain"},
    {"target": "resolution", "offset": 0, "action": "escalate_level"},
    {"target": "resolution", "offset": 3600, "action": "raise_priority", "repeat_every": 1800, "max_repeats": 2},
    {"target": "acknowledgement", "offset": -7200, "action": "notify", "whom": "team"},
]


def test_steps_negative_positive_and_repeats():
    log = Log(MON, policy(ALWAYS, steps=STEPS, resolution=4 * H, acknowledgement=H))
    got = [(m.key, m.at, m.step_index, m.repeat) for m in marks(log.events, MON) if m.kind == "step"]
    assert got == [
        # 1 h - 2 h is before the window opened: due at once, at creation.
        ("acknowledgement:c0:g1:step3:r0", MON, 3, 0),
        ("resolution:c0:g1:step0:r0", MON + 3.5 * H, 0, 0),
        ("resolution:c0:g1:step1:r0", MON + 4 * H, 1, 0),
        ("resolution:c0:g1:step2:r0", MON + 5 * H, 2, 0),
        ("resolution:c0:g1:step2:r1", MON + 5.5 * H, 2, 1),
        ("resolution:c0:g1:step2:r2", MON + 6 * H, 2, 2),
    ]
    assert marks(log.events, MON)[-1].step.action == "raise_priority"
    # The breach comes before its same-instant step.
    keys = [m.key for m in due_marks(log.events, MON + 4 * H)]
    assert keys[-2:] == ["resolution:c0:g1:breach", "resolution:c0:g1:step1:r0"]


def test_steps_on_office_hours():
    log = Log(FRI_16, policy(OFFICE, steps=STEPS[:3], resolution=4 * H))
    got = {m.key: m.at for m in marks(log.events, FRI_16)}
    assert got["resolution:c0:g1:step0:r0"] == at("2026-03-09T11:30+00:00")  # 30 min before Mon 12:00
    assert got["resolution:c0:g1:step2:r0"] == at("2026-03-09T13:00+00:00")
    assert got["resolution:c0:g1:step2:r2"] == at("2026-03-09T14:00+00:00")


def test_worker_flow_marks_done_are_not_due_again():
    log = Log(MON, policy(ALWAYS, warnings=[75], steps=STEPS[:3], resolution=4 * H))
    assert schedule(log.events, MON) == ([], MON + 3 * H)
    due = due_marks(log.events, MON + 3 * H)
    assert [m.key for m in due] == ["resolution:c0:g1:warn75"]
    log.done(MON + 3 * H, *[m.key for m in due])
    assert due_marks(log.events, MON + 3 * H) == [] and next_due(log.events, MON + 3 * H) == MON + 3.5 * H
    # A lagging worker at 4 h 10 min finds the notify step, the breach and the escalate step.
    due = due_marks(log.events, MON + 4 * H + 10 * MIN)
    assert [m.key for m in due] == ["resolution:c0:g1:step0:r0", "resolution:c0:g1:breach",
                                    "resolution:c0:g1:step1:r0"]
    assert next_due(log.events, MON + 4 * H + 10 * MIN) == MON + 5 * H
    log.done(MON + 4 * H + 10 * MIN, *[m.key for m in due])
    assert schedule(log.events, MON + 4 * H + 10 * MIN) == ([], MON + 5 * H)
    # A mark recorded after as_of is not done as of then (a replay sees what the worker saw).
    assert [m.key for m in due_marks(log.events, MON + 4 * H)] == ["resolution:c0:g1:step0:r0",
                                                                   "resolution:c0:g1:breach",
                                                                   "resolution:c0:g1:step1:r0"]


# --- cycles, re-time, reopen, cancel ------------------------------------------------------------

def test_update_cadence_restarts_after_a_public_reply():
    log = Log(MON, policy(ALWAYS, warnings=[50], update=2 * H)).ack(MON + 10 * MIN)
    assert [m.key for m in marks(log.events, MON + 30 * MIN)] == ["update:c0:g1:warn50", "update:c0:g1:breach"]
    log.reply(MON + H)
    t = target(log, "update", MON + 90 * MIN)
    assert (t.cycle, t.started_at, t.elapsed, t.deadline) == (1, MON + H, 30 * MIN, MON + 3 * H)
    assert [(m.key, m.at) for m in marks(log.events, MON + 90 * MIN)] == [
        ("update:c1:g1:warn50", MON + 2 * H), ("update:c1:g1:breach", MON + 3 * H)]
    # The cycle-0 warning (due at 1 h, never recorded) is gone with its cycle.
    assert [m.key for m in due_marks(log.events, MON + 2 * H)] == ["update:c1:g1:warn50"]
    log.add(E.CUSTOMER_CONTACTED, MON + 4 * H, channel="phone")
    t = target(log, "update", MON + 4 * H)
    assert (t.cycle, t.elapsed, t.state) == (2, timedelta(0), "running")


def test_retime_keeps_elapsed_and_changes_keys():
    log = Log(MON, policy(ALWAYS, warnings=[75], resolution=4 * H)).ack(MON)
    log.done(MON + 3 * H, "resolution:c0:g1:warn75")
    log.retime(MON + 3 * H + MIN, policy(ALWAYS, generation=2, warnings=[75], resolution=8 * H))
    report = evaluate(log.events, MON + 4 * H)
    t = report.targets["resolution"]
    assert (report.generation, t.elapsed, t.target, t.deadline) == (2, 4 * H, 8 * H, MON + 8 * H)
    assert [(m.key, m.at) for m in marks(report)] == [("resolution:c0:g2:warn75", MON + 6 * H),
                                                       ("resolution:c0:g2:breach", MON + 8 * H)]
    # Re-timed to a shorter target: already breached under the new generation, at the exact
    # instant elapsed reached it (under the old snapshot).
    log.retime(MON + 5 * H, policy(ALWAYS, generation=3, warnings=[75], resolution=2 * H))
    t = target(log, "resolution", MON + 5 * H)
    assert (t.state, t.deadline) == ("breached_running", MON + 2 * H)
    # The 75 % warning was already given under generation 1 and its instant lies before the re-time:
    # it carries over instead of being repeated. The breach never happened before, so it is due.
    assert [(m.key, m.at) for m in due_marks(log.events, MON + 5 * H)] == [
        ("resolution:c0:g3:breach", MON + 2 * H)]


def test_retime_onto_office_hours_counts_each_segment_on_its_own_calendar():
    # 24x7 from Fri 16:00 to Sat 16:00 (24 h), then office hours: Mon 09:00 + 2 h for a 26 h target.
    log = Log(FRI_16, policy(ALWAYS, resolution=26 * H))
    log.retime(FRI_16 + 24 * H, policy(OFFICE, generation=2, resolution=26 * H))
    t = target(log, "resolution", FRI_16 + 25 * H)
    assert (t.elapsed, t.deadline) == (24 * H, at("2026-03-09T11:00+00:00"))


def test_reopen_continues_resolution_counting():
    log = Log(MON, policy(ALWAYS, resolution=4 * H, update=5 * H)).ack(MON).progress(MON)
    log.resolve(MON + 3 * H)
    t = target(log, "resolution", MON + 5 * H)
    assert (t.state, t.elapsed, t.deadline) == ("met", 3 * H, MON + 3 * H)
    assert target(log, "update", MON + 5 * H).state == "met"
    assert next_due(log.events, MON + 5 * H) is None
    log.reopen(MON + 6 * H)
    t = target(log, "resolution", MON + 6.5 * H)
    assert (t.state, t.elapsed, t.cycle, t.deadline) == ("running", 3.5 * H, 0, MON + 7 * H)
    assert [s.kind for s in t.segments] == ["counted", "paused", "counted"]
    u = target(log, "update", MON + 6.5 * H)
    assert (u.cycle, u.elapsed, u.deadline) == (1, 30 * MIN, MON + 11 * H)
    assert next_due(log.events, MON + 6.5 * H) == MON + 7 * H
    assert [m.key for m in marks(log.events, MON + 6.5 * H)] == ["resolution:c0:g1:breach", "update:c1:g1:breach"]


def test_cancel_stops_everything():
    log = Log(MON, policy(ALWAYS, warnings=[50], steps=STEPS, acknowledgement=H, resolution=4 * H))
    log.ack(MON + 2 * H).cancel(MON + 5 * H)  # acknowledgement breached and met; resolution breached
    report = evaluate(log.events, MON + 10 * H)
    assert report.terminal and report.status == "cancelled"
    t = report.targets["resolution"]
    assert (t.state, t.elapsed, t.stopped_at, t.deadline) == ("breached_stopped", 5 * H, MON + 5 * H, MON + 4 * H)
    assert due_marks(log.events, MON + 10 * H) == [] and next_due(log.events, MON + 10 * H) is None
    assert not [m for m in marks(report) if m.target == "resolution"]
    # Cancelled in time: stopped, no deadline.
    log = Log(MON, policy(ALWAYS, warnings=[50], resolution=4 * H)).cancel(MON + H)
    t = target(log, "resolution", MON + 10 * H)
    assert (t.state, t.deadline, t.elapsed) == ("stopped", None, H)
    assert schedule(log.events, MON + 10 * H) == ([], None)


def test_merge_and_close_stop_too_and_later_events_change_nothing():
    log = Log(MON, policy(ALWAYS, resolution=4 * H, first_response=H)).ack(MON)
    log.add(E.MERGED_INTO, MON + 30 * MIN, status="closed", survivor=2).reply(MON + 2 * H)
    report = evaluate(log.events, MON + 3 * H)
    assert {t.name: t.state for t in report.targets.values()} == {"first_response": "stopped",
                                                                  "resolution": "stopped"}


def test_resolved_does_not_count_and_close_stops_the_unmet():
    log = Log(MON, policy(ALWAYS, first_response=4 * H, resolution=8 * H)).ack(MON).progress(MON)
    log.resolve(MON + H)
    t = target(log, "first_response", MON + 6 * H)
    assert (t.state, t.elapsed, t.deadline) == ("paused", H, None)
    log.close(MON + 7 * H)
    report = evaluate(log.events, MON + 8 * H)
    assert report.targets["first_response"].state == "stopped"
    assert report.targets["resolution"].state == "met"


def test_without_a_policy_nothing_is_measured():
    log = Log(MON, None)
    report = evaluate(log.events, MON + H)
    assert report.snapshot is None and report.targets == {} and marks(report) == []
    # A policy applied later counts from then on; the window itself opened at creation.
    log.retime(MON + H, policy(ALWAYS, resolution=4 * H))
    t = target(log, "resolution", MON + 2 * H)
    assert (t.elapsed, t.started_at, t.deadline) == (H, MON, MON + 5 * H)
    assert [s.kind for s in t.segments] == ["paused", "counted"]


def test_a_target_absent_from_the_snapshot_is_not_measured():
    log = Log(MON, policy(ALWAYS, resolution=4 * H, steps=STEPS))
    report = evaluate(log.events, MON + H)
    assert list(report.targets) == ["resolution"]
    assert {m.target for m in marks(report)} == {"resolution"}


# --- segments -----------------------------------------------------------------------------------

def test_segments_explain_elapsed():
    log = Log(FRI_16, policy(OFFICE, resolution=8 * H)).ack(FRI_16).progress(FRI_16)
    log.pend(FRI_16 + 30 * MIN)
    log.add(E.STATUS_CHANGED, at("2026-03-09T10:00+00:00"), status="in_progress")
    t = target(log, "resolution", at("2026-03-09T18:00+00:00"))
    got = [(s.start, s.end, s.kind, s.business) for s in t.segments]
    assert got == [
        (FRI_16, FRI_16 + 30 * MIN, "counted", 30 * MIN),
        (FRI_16 + 30 * MIN, at("2026-03-09T10:00+00:00"), "paused", timedelta(0)),
        (at("2026-03-09T10:00+00:00"), at("2026-03-09T17:00+00:00"), "counted", 7 * H),
        (at("2026-03-09T17:00+00:00"), at("2026-03-09T18:00+00:00"), "outside_hours", timedelta(0)),
    ]
    assert sum((s.business for s in t.segments if s.kind == "counted"), timedelta(0)) == t.elapsed == 7.5 * H
    assert t.segments[0].business_seconds == 1800.0 and t.segments[1].wall == 65.5 * H
    # A running weekend shows as outside hours between counted days.
    t = target(Log(FRI_16, policy(OFFICE, resolution=8 * H)), "resolution", at("2026-03-09T10:00+00:00"))
    assert [s.kind for s in t.segments] == ["counted", "outside_hours", "counted"]
    assert t.elapsed == 2 * H


# --- time by level and team ---------------------------------------------------------------------

def test_time_by_level_and_team():
    log = Log(MON, policy(OFFICE, resolution=40 * H), level=1, team=10).ack(MON).progress(MON)
    log.escalate(MON + 2 * H, 2, 20)
    log.escalate(MON + 5 * H, 1, 11, E.DE_ESCALATED)
    log.resolve(MON + 6 * H)  # Mon 15:00: nothing counts after
    got = time_by_level_and_team(log.events, MON + 30 * H)
    assert got["basis"] == "calendar"
    assert got["levels"] == {1: {"wall": 3 * H, "business": 3 * H}, 2: {"wall": 3 * H, "business": 3 * H}}
    assert list(got["teams"]) == [10, 20, 11]
    assert got["teams"][11] == {"wall": H, "business": H}
    # Reopened Mon 16:00 until Tue 10:00 at team 11: 18 h wall, 2 h of office hours.
    log.reopen(MON + 7 * H)
    got = time_by_level_and_team(log.events, MON + 25 * H)
    assert got["teams"][11] == {"wall": 19 * H, "business": 3 * H}
    assert got["levels"][1] == {"wall": 21 * H, "business": 5 * H}
    assert time_by_level_and_team(Log(MON, None).events, MON + H)["basis"] == "wall"


# --- contract -----------------------------------------------------------------------------------

def test_events_after_as_of_are_ignored_and_inputs_must_be_aware():
    log = Log(MON, policy(ALWAYS, resolution=4 * H)).ack(MON).resolve(MON + 2 * H)
    assert target(log, "resolution", MON + H).state == "running"
    assert evaluate(log.events, MON + H) == evaluate(log.events[:3], MON + H)
    with pytest.raises(ValueError, match="aware"):
        evaluate(log.events, datetime(2026, 3, 2, 12))
    with pytest.raises(TypeError):
        marks(log.events)
    report = evaluate(log.events, MON + H)
    assert marks(report, MON + H) == marks(log.events, MON + H)
    with pytest.raises(ValueError):
        marks(report, MON + 2 * H)


def test_results_are_utc_and_deterministic():
    log = Log(at("2026-04-02T16:00+01:00"), policy(OFFICE, warnings=[75], resolution=4 * H))
    a = evaluate(log.events, at("2026-04-07T10:00+01:00"))
    b = evaluate(list(log.events), at("2026-04-07T09:00+00:00"))
    assert a == b and a.as_of.tzinfo is UTC and a.targets["resolution"].deadline.tzinfo is UTC
    assert all(m.at.tzinfo is UTC for m in marks(a))


def test_the_module_is_pure():
    code = ("import sys; import tierline.sla.clock; import tierline.sla.clock_marks as m; m.marks; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django'); assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])


def test_a_warm_evaluation_parses_the_policy_and_calendar_once_and_answers_the_same():
    # Speed is measured in bench/clock.py; here the behaviour that makes it fast: the policy and
    # its calendar are parsed once per distinct snapshot, and a cached answer equals a fresh one.
    from tierline.sla import clock as clock_module

    log = Log(FRI_16, policy(OFFICE, warnings=[75, 90], steps=STEPS, acknowledgement=H, first_response=2 * H,
                             update=4 * H, resolution=16 * H))
    log.ack(FRI_16 + 10 * MIN).progress(FRI_16 + 20 * MIN)
    as_of = at("2026-03-13T12:00+00:00")
    clock_module._policy.cache_clear()
    clock_module._calendar.cache_clear()
    first = evaluate(log.events, as_of)
    for _ in range(5):
        assert evaluate(log.events, as_of) == first
    assert clock_module._policy.cache_info().misses == 1
    assert clock_module._calendar.cache_info().misses == 1
