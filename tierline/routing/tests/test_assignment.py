"""Choosing an escalation's owner: hand-worked tables plus hypothesis properties checked against an
independent re-statement of the eligibility rules (``expected_skip`` below)."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierline.calendars.spec import calendar_from_dict
from tierline.calendars.timecalc import is_open
from tierline.routing.assignment import (
    PRIORITY_WEIGHT,
    STRATEGIES,
    Candidate,
    Choice,
    Requirement,
    Skip,
    choose,
    required_skills,
)

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
MANILA_NIGHT = calendar_from_dict(
    {"timezone": "Asia/Manila", "hours": {d: [["22:00", "06:00"]] for d in WORKDAYS} | {"sat": [], "sun": []}}
)
NY_DAY = calendar_from_dict(
    {"timezone": "America/New_York", "hours": {d: [["09:00", "17:00"]] for d in WORKDAYS}}
)
ALWAYS = calendar_from_dict({"timezone": "UTC", "always_open": True})
NEVER_NOW = calendar_from_dict({"timezone": "UTC", "hours": {"mon": [["10:00", "11:00"]]}})  # closed at NOW

NOW = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # a Monday
MANILA = ZoneInfo("Asia/Manila")
US = timedelta(microseconds=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cand(user_id: int, **kw) -> Candidate:
    kw.setdefault("name", f"u{user_id}")
    kw.setdefault("shift", None)
    return Candidate(user_id=user_id, **kw)


def eligible_ids(choice: Choice, candidates) -> set[int]:
    return {c.user_id for c in candidates} - {s.user_id for s in choice.skipped}


# --- round robin --------------------------------------------------------------------------------

SEVEN = [cand(i) for i in (57, 3, 21, 8, 40, 11, 20)]  # deliberately not in id order


def rotate(candidates, steps, *, start=NOW, cursor=None):
    picks = []
    for step in range(steps):
        choice = choose(
            candidates, strategy="round_robin", now=start + step * timedelta(minutes=1), cursor=cursor
        )
        assert choice.cursor == choice.user_id
        cursor = choice.cursor
        picks.append(choice)
    return picks


def spread(picks, ids) -> int:
    counts = Counter(p.user_id for p in picks)
    return max(counts[i] for i in ids) - min(counts[i] for i in ids)


def test_round_robin_1000_assignments_over_7_are_even():
    picks = rotate(SEVEN, 1000)
    counts = Counter(p.user_id for p in picks)
    assert set(counts) == {c.user_id for c in SEVEN}
    assert sorted(counts.values()) == [142] * 1 + [143] * 6  # 1000 = 6 * 143 + 142
    assert [p.user_id for p in picks[:8]] == [3, 8, 11, 20, 21, 40, 57, 3]


def test_round_robin_stays_even_when_one_goes_on_leave_half_way():
    leave_from = NOW + 500 * timedelta(minutes=1)
    leaver = 21
    team = [
        c if c.user_id != leaver else cand(leaver, leave=((leave_from, leave_from + timedelta(days=30)),))
        for c in SEVEN
    ]
    picks = rotate(team, 1000)
    others = [c.user_id for c in team if c.user_id != leaver]
    first, second = picks[:500], picks[500:]
    assert spread(first, [c.user_id for c in team]) <= 1
    assert leaver not in {p.user_id for p in second}
    assert all(Skip(leaver, "on_leave") in p.skipped for p in second)
    assert spread(second, others) <= 1
    # The rotation order of the others never changed, so they are even over the whole run too.
    assert spread(picks, others) <= 1


def test_round_robin_takes_back_someone_returning_from_leave():
    start, end = NOW + 300 * timedelta(minutes=1), NOW + 600 * timedelta(minutes=1)
    team = [c if c.user_id != 8 else cand(8, leave=((start, end),)) for c in SEVEN]
    picks = rotate(team, 1000)
    assert 8 not in {p.user_id for p in picks[300:600]}
    assert spread(picks[300:600], [i for i in (3, 11, 20, 21, 40, 57)]) <= 1
    assert spread(picks[600:], [c.user_id for c in team]) <= 1
    assert 8 in {p.user_id for p in picks[600:607]}  # back in the very next round


@pytest.mark.parametrize(
    ("cursor", "expected", "reason"),
    [
        (None, 3, "round robin: first in rotation (u3)"),
        (3, 8, "round robin: next after u3"),
        (9, 11, "round robin: next after user #9"),  # the cursor's owner has left the team
        (11, 20, "round robin: next after u11"),  # 12 (off shift) is passed over
        (57, 3, "round robin: next after u57"),  # wraps around
        (1000, 3, "round robin: next after user #1000"),
    ],
)
def test_round_robin_cursor(cursor, expected, reason):
    team = [*SEVEN, cand(12, shift=NEVER_NOW)]
    choice = choose(team, strategy="round_robin", now=NOW, cursor=cursor)
    assert (choice.user_id, choice.reason, choice.cursor, choice.fallback) == (
        expected,
        reason,
        expected,
        False,
    )
    assert choice.skipped == (Skip(12, "off_shift"),)


# --- least loaded -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("people", "expected"),
    [
        # (user_id, open_load, open_count)
        ([(1, 5, 1), (2, 4, 4)], 2),  # weight beats count
        ([(1, 4, 2), (2, 4, 1)], 2),  # equal load: fewer open
        ([(9, 4, 2), (2, 4, 2), (5, 4, 2)], 2),  # equal load and count: smallest id
        ([(1, 0, 0), (2, 0, 0)], 1),
        ([(7, 3, 3)], 7),
    ],
)
def test_least_loaded(people, expected):
    team = [cand(uid, open_load=load, open_count=count) for uid, load, count in people]
    for order in (team, team[::-1]):
        choice = choose(order, strategy="least_loaded", now=NOW, cursor=42)
        assert (choice.user_id, choice.fallback, choice.cursor) == (expected, False, 42)
        chosen = next(c for c in team if c.user_id == expected)
        assert choice.reason == f"least loaded (load {chosen.open_load}, {chosen.open_count} open)"


def test_least_loaded_uses_priority_weights_and_skips_the_ineligible():
    one_p1 = sum(PRIORITY_WEIGHT[p] for p in ["P1"])
    three_p4 = sum(PRIORITY_WEIGHT[p] for p in ["P4", "P4", "P4"])
    team = [
        cand(1, open_load=one_p1, open_count=1),
        cand(2, open_load=three_p4, open_count=3),
        cand(3, open_load=0, shift=NEVER_NOW),
    ]
    choice = choose(team, strategy="least_loaded", now=NOW)
    assert choice.user_id == 2
    assert choice.skipped == (Skip(3, "off_shift"),)


# --- skills -------------------------------------------------------------------------------------


def test_skills_requires_every_skill_and_the_language():
    team = [
        cand(1, skills=frozenset({"billing"}), languages=frozenset({"pt-BR"})),
        cand(2, skills=frozenset({"billing", "refunds"}), languages=frozenset({"pt-BR"}), open_load=9),
        cand(3, skills=frozenset({"billing", "refunds", "tech"}), languages=frozenset({"es"})),
        cand(4, skills=frozenset({"Billing", "Refunds"}), languages=frozenset({"en", "PT"}), open_load=12),
    ]
    need = Requirement(skills=frozenset({"billing", "refunds"}), language="pt")
    choice = choose(team, strategy="skills", now=NOW, requirement=need)
    assert choice.user_id == 2
    assert choice.skipped == (Skip(1, "missing_skills"), Skip(3, "language"))
    assert choice.reason == "skills match (billing, refunds, language pt); least loaded (load 9, 0 open)"
    # Primary subtag on both sides: a "pt" speaker serves a "pt-BR" customer.
    choice = choose(team, strategy="skills", now=NOW, requirement=Requirement(need.skills, "pt-BR"))
    assert choice.user_id == 2


@pytest.mark.parametrize(
    ("languages", "wanted", "ok"),
    [
        ({"pt-BR"}, "pt", True),
        ({"pt_BR"}, "PT", True),
        ({"pt"}, "pt-PT", True),
        ({"en-US", "tl"}, "TL", True),
        ({"es"}, "pt", False),
        (set(), "en", False),
        (set(), None, True),
        (set(), "  ", True),
    ],
)
def test_language_matching(languages, wanted, ok):
    choice = choose(
        [cand(1, languages=frozenset(languages))],
        strategy="skills",
        now=NOW,
        requirement=Requirement(language=wanted),
    )
    assert choice.skipped == (() if ok else (Skip(1, "language"),))


def test_missing_skill_is_reported_before_language():
    need = Requirement(skills=frozenset({"tech"}), language="de")
    choice = choose([cand(1, languages=frozenset({"en"}))], strategy="skills", now=NOW, requirement=need)
    assert (choice.user_id, choice.skipped) == (None, (Skip(1, "missing_skills"),))


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded"])
def test_only_the_skills_strategy_enforces_skills(strategy):
    need = Requirement(skills=frozenset({"tech"}), language="de")
    choice = choose(
        [cand(1), cand(2, skills=frozenset({"tech"}))], strategy=strategy, now=NOW, requirement=need
    )
    assert (choice.user_id, choice.skipped) == (1, ())


@pytest.mark.parametrize(
    ("type_", "text", "expected"),
    [
        ("billing", "", {"billing"}),
        ("BILLING", "", {"billing"}),
        ("outage", "", set()),
        ("outage", "Customer wants a REFUND now", {"refunds"}),
        ("outage", "refunded last week", set()),  # whole words only
        ("outage", "pre-refund check", {"refunds"}),  # hyphen separates words
        ("billing", "a refund and a chargeback dispute.", {"billing", "refunds", "disputes"}),
        ("outage", "chargeback disputed", set()),
        ("outage", "our C++ SDK crashes", {"sdk"}),
        ("outage", "C++11 build", set()),
    ],
)
def test_required_skills(type_, text, expected):
    rules = {"billing": ["billing"], "tech": ("tech", "sdk")}
    keywords = {"refund": ["refunds"], "chargeback dispute": "disputes", "c++": ["sdk"], "  ": ["never"]}
    assert required_skills(type_, text, rules, keywords) == frozenset(expected)


def test_required_skills_without_rules():
    assert required_skills("billing", "refund") == frozenset()


# --- shifts across time zones -------------------------------------------------------------------

# Manila has no DST (UTC+8): its Mon-Fri 22:00-06:00 is always 14:00-22:00 UTC, Sunday to Friday
# (UTC). New York 09:00-17:00 is 14:00-22:00 UTC under EST and 13:00-21:00 UTC under EDT. US DST
# begins Sun 2026-03-08 and ends Sun 2026-11-01.
SHIFT_CASES = [
    ("2026-03-06 13:59:59", set()),  # Fri, EST: NY 08:59, Manila 21:59
    ("2026-03-06 14:00", {"manila", "ny"}),  # both shifts start (inclusive)
    ("2026-03-06 16:00", {"manila", "ny"}),  # Manila Sat 00:00: Friday's night shift runs on
    ("2026-03-06 21:59:59", {"manila", "ny"}),
    ("2026-03-06 22:00", set()),  # both end (exclusive)
    ("2026-03-07 16:00", set()),  # Manila Sun 00:00, no Saturday shift; NY Saturday
    ("2026-03-08 15:00", set()),  # Sunday of the change; Manila Sun 23:00
    ("2026-03-02 13:30", set()),  # Mon, EST: NY 08:30
    ("2026-03-09 13:30", {"ny"}),  # Mon, EDT: NY 09:30, Manila 21:30
    ("2026-03-09 15:59:59", {"manila", "ny"}),  # Manila Mon 23:59:59
    ("2026-03-09 16:00", {"manila", "ny"}),  # Manila Tue 00:00, over midnight
    ("2026-03-09 21:00", {"manila"}),  # NY 17:00 (EDT) closed, Manila Tue 05:00
    ("2026-03-09 21:59:59", {"manila"}),
    ("2026-03-13 21:30", {"manila"}),  # Fri, EDT: Manila Sat 05:30 is still Friday's shift
    ("2026-10-30 13:30", {"ny"}),  # Fri, EDT
    ("2026-10-30 21:30", {"manila"}),
    ("2026-11-02 13:30", set()),  # Mon, EST again: NY 08:30
    ("2026-11-02 21:30", {"manila", "ny"}),  # NY 16:30
]


@pytest.mark.parametrize(("instant", "expected"), SHIFT_CASES)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_shifts_across_time_zones(instant, expected, strategy):
    team = [cand(1, name="manila", shift=MANILA_NIGHT), cand(2, name="ny", shift=NY_DAY)]
    by_name = {"manila": 1, "ny": 2}
    for now in (
        utc(instant),
        utc(instant).astimezone(MANILA),
        utc(instant).astimezone(ZoneInfo("America/New_York")),
    ):
        choice = choose(team, strategy=strategy, now=now)
        assert eligible_ids(choice, team) == {by_name[n] for n in expected}
        assert all(s.reason == "off_shift" for s in choice.skipped)
        assert (choice.user_id is None) == (not expected)


# --- leave, capacity, inactive ------------------------------------------------------------------


def test_leave_is_half_open_in_any_zone():
    start = datetime(2026, 3, 10, 0, 0, tzinfo=MANILA)  # = 2026-03-09 16:00 UTC
    end = start + timedelta(hours=2)
    person = cand(1, leave=((NOW - timedelta(days=9), NOW - timedelta(days=8)), (start, end)))
    for now, on_leave in [
        (utc("2026-03-09 16:00") - US, False),
        (utc("2026-03-09 16:00"), True),
        (utc("2026-03-09 18:00") - US, True),
        (utc("2026-03-09 18:00"), False),
    ]:
        choice = choose([person], strategy="least_loaded", now=now)
        assert choice.skipped == ((Skip(1, "on_leave"),) if on_leave else ())


def test_leave_ending_in_the_repeated_hour_uses_real_time():
    # Python compares datetimes sharing a tzinfo by wall clock, ignoring fold: 01:45 EDT (first
    # pass) would look later than 01:30 EST (second pass) although it is 45 minutes earlier.
    ny = ZoneInfo("America/New_York")
    end = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ny)  # 06:30 UTC
    person = cand(1, leave=((datetime(2026, 10, 31, tzinfo=ny), end),))
    for now, on_leave in [
        (datetime(2026, 11, 1, 1, 45, fold=0, tzinfo=ny), True),  # 05:45 UTC
        (datetime(2026, 11, 1, 1, 29, fold=1, tzinfo=ny), True),  # 06:29 UTC
        (datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ny), False),
    ]:
        choice = choose([person], strategy="round_robin", now=now)
        assert choice.skipped == ((Skip(1, "on_leave"),) if on_leave else ()), now


def test_naive_leave_is_rejected():
    with pytest.raises(ValueError, match="candidate 1: leave"):
        choose([cand(1, leave=((datetime(2026, 3, 9), datetime(2026, 3, 10)),))], strategy="skills", now=NOW)


@pytest.mark.parametrize(
    ("capacity", "open_count", "full"),
    [(3, 2, False), (3, 3, True), (3, 4, True), (0, 0, True), (None, 1000, False), (1, 0, False)],
)
def test_capacity_counts_escalations_not_weight(capacity, open_count, full):
    person = cand(1, capacity=capacity, open_count=open_count, open_load=99)
    choice = choose([person], strategy="least_loaded", now=NOW)
    assert choice.skipped == ((Skip(1, "at_capacity"),) if full else ())


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"active": False, "shift": NEVER_NOW, "capacity": 0}, "inactive"),
        ({"shift": NEVER_NOW, "leave": ((NOW, NOW + US),), "capacity": 0}, "off_shift"),
        ({"shift": ALWAYS, "leave": ((NOW, NOW + US),), "capacity": 0}, "on_leave"),
        ({"capacity": 0, "skills": frozenset()}, "at_capacity"),
        ({"languages": frozenset({"de"})}, "missing_skills"),
        ({"skills": frozenset({"tech"}), "languages": frozenset({"de"})}, "language"),
        ({"skills": frozenset({"tech"}), "languages": frozenset({"en-GB"})}, None),
    ],
)
def test_first_failing_reason_is_recorded(kw, reason):
    need = Requirement(skills=frozenset({"tech"}), language="en")
    choice = choose([cand(1, **kw)], strategy="skills", now=NOW, requirement=need)
    assert choice.skipped == ((Skip(1, reason),) if reason else ())


def test_inactive_users_never_get_work_even_as_lead():
    team = [cand(1, active=False, is_lead=True), cand(2, active=False)]
    choice = choose(team, strategy="round_robin", now=NOW, cursor=1)
    assert choice == Choice(
        None, choice.reason, "round_robin", False, (Skip(1, "inactive"), Skip(2, "inactive")), 1
    )
    assert choice.reason == "unassigned: nobody eligible: 2 inactive, and no team lead available"


# --- fallback -----------------------------------------------------------------------------------


def test_fallback_to_the_least_loaded_lead_when_nobody_is_on_shift():
    night = utc("2026-03-07 16:00")  # Saturday: nobody works
    team = [
        cand(1, shift=NY_DAY),
        cand(2, shift=MANILA_NIGHT, is_lead=True, open_load=7, open_count=2),
        cand(3, shift=NY_DAY, is_lead=True, open_load=5, open_count=5, capacity=5),
        cand(4, shift=MANILA_NIGHT),
    ]
    choice = choose(team, strategy="round_robin", now=night, cursor=2)
    assert (choice.user_id, choice.fallback, choice.cursor) == (3, True, 2)
    assert choice.reason == "fallback: team lead u3 (nobody on shift)"
    assert choice.skipped == tuple(Skip(i, "off_shift") for i in (1, 2, 3, 4))


def test_fallback_reason_counts_mixed_skips_and_avoids_leads_on_leave():
    team = [
        cand(1, shift=NEVER_NOW),
        cand(2, capacity=1, open_count=1, is_lead=True, open_load=20),
        cand(3, is_lead=True, leave=((NOW - US, NOW + US),)),
        cand(4, is_lead=True, active=False),
        cand(5, shift=NEVER_NOW),
    ]
    choice = choose(team, strategy="least_loaded", now=NOW)
    assert (choice.user_id, choice.fallback) == (2, True)
    assert (
        choice.reason
        == "fallback: team lead u2 (nobody eligible: 1 inactive, 2 off shift, 1 on leave, 1 at capacity)"
    )


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_no_lead_leaves_it_unassigned(strategy):
    choice = choose(
        [cand(1, shift=NEVER_NOW), cand(2, shift=NEVER_NOW)], strategy=strategy, now=NOW, cursor=1
    )
    assert choice == Choice(
        None,
        "unassigned: nobody on shift, and no team lead available",
        strategy,
        False,
        (Skip(1, "off_shift"), Skip(2, "off_shift")),
        1,
    )
    empty = choose([], strategy=strategy, now=NOW)
    assert (empty.user_id, empty.reason) == (None, "unassigned: no candidates, and no team lead available")


def test_an_eligible_lead_takes_part_like_anyone_else():
    team = [cand(1, is_lead=True), cand(2, open_load=1)]
    assert choose(team, strategy="least_loaded", now=NOW).user_id == 1
    assert not choose(team, strategy="least_loaded", now=NOW).fallback


# --- validation ---------------------------------------------------------------------------------


def test_naive_now_is_rejected():
    with pytest.raises(ValueError, match="aware"):
        choose([cand(1)], strategy="round_robin", now=datetime(2026, 3, 9, 15))


def test_unknown_strategy_names_the_allowed_ones():
    with pytest.raises(ValueError, match="round_robin, least_loaded, skills"):
        choose([cand(1)], strategy="random", now=NOW)


def test_duplicate_user_ids_are_rejected():
    with pytest.raises(ValueError, match="user_id 1 appears more than once"):
        choose([cand(1), cand(1, name="again")], strategy="least_loaded", now=NOW)


# --- properties ---------------------------------------------------------------------------------

SHIFTS = [None, MANILA_NIGHT, NY_DAY, ALWAYS]
ZONES = [UTC, MANILA, ZoneInfo("America/New_York"), ZoneInfo("Europe/London")]
SKILLS = ["billing", "refunds", "tech"]
LANGS = ["en", "en-US", "pt-BR", "pt", "es", "tl"]

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.sampled_from(ZONES)
)


@st.composite
def teams(draw):
    now = draw(instants)
    ids = draw(st.lists(st.integers(1, 60), unique=True, max_size=8))
    people = []
    for uid in ids:
        hours = draw(st.lists(st.tuples(st.integers(-72, 72), st.integers(0, 72)), max_size=2))
        leave = tuple((now + timedelta(hours=a), now + timedelta(hours=a + n)) for a, n in hours)
        people.append(
            Candidate(
                user_id=uid,
                name=f"p{uid}",
                shift=draw(st.sampled_from(SHIFTS)),
                leave=leave,
                capacity=draw(st.none() | st.integers(0, 4)),
                open_count=draw(st.integers(0, 5)),
                open_load=draw(st.integers(0, 20)),
                skills=frozenset(draw(st.sets(st.sampled_from(SKILLS)))),
                languages=frozenset(draw(st.sets(st.sampled_from(LANGS), max_size=2))),
                is_lead=draw(st.booleans()),
                active=draw(st.integers(0, 5)) > 0,
            )
        )
    requirement = Requirement(
        skills=frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=2))),
        language=draw(st.none() | st.sampled_from(LANGS)),
    )
    cursor = draw(st.none() | st.integers(0, 61))
    return people, now, requirement, cursor


def expected_skip(c: Candidate, strategy: str, now: datetime, req: Requirement):
    if not c.active:
        return "inactive"
    if c.shift is not None and not is_open(now, c.shift):
        return "off_shift"
    if any(s.timestamp() <= now.timestamp() < e.timestamp() for s, e in c.leave):
        return "on_leave"
    if c.capacity is not None and c.open_count >= c.capacity:
        return "at_capacity"
    if strategy == "skills":
        if not req.skills <= c.skills:
            return "missing_skills"
        if req.language and req.language.split("-")[0] not in {x.split("-")[0] for x in c.languages}:
            return "language"
    return None


@settings(max_examples=400, deadline=None)
@given(teams(), st.sampled_from(STRATEGIES))
def test_choice_follows_the_rules(team, strategy):
    people, now, req, cursor = team
    choice = choose(people, strategy=strategy, now=now, cursor=cursor, requirement=req)
    reasons = {c.user_id: expected_skip(c, strategy, now, req) for c in people}
    assert choice.skipped == tuple(Skip(uid, r) for uid, r in sorted(reasons.items()) if r is not None)
    eligible = sorted((c for c in people if reasons[c.user_id] is None), key=lambda c: c.user_id)
    load_key = lambda c: (c.open_load, c.open_count, c.user_id)  # noqa: E731
    assert choice.strategy == strategy
    if eligible:
        assert not choice.fallback
        if strategy == "round_robin":
            after = [c for c in eligible if cursor is None or c.user_id > cursor]
            assert choice.user_id == (after or eligible)[0].user_id
            assert choice.cursor == choice.user_id
        else:
            assert choice.user_id == min(eligible, key=load_key).user_id
            assert choice.cursor == cursor
        return
    assert choice.cursor == cursor
    leads = [
        c
        for c in people
        if c.is_lead
        and c.active
        and not any(s.timestamp() <= now.timestamp() < e.timestamp() for s, e in c.leave)
    ]
    if leads:
        assert choice.fallback
        assert choice.user_id == min(leads, key=load_key).user_id
        assert choice.reason.startswith("fallback: team lead ")
    else:
        assert (choice.user_id, choice.fallback) == (None, False)
        assert choice.reason.startswith("unassigned: ")


@settings(max_examples=200, deadline=None)
@given(teams(), st.sampled_from(STRATEGIES), st.randoms(use_true_random=False))
def test_choose_is_deterministic_and_ignores_input_order(team, strategy, rnd):
    people, now, req, cursor = team
    first = choose(people, strategy=strategy, now=now, cursor=cursor, requirement=req)
    assert choose(people, strategy=strategy, now=now, cursor=cursor, requirement=req) == first
    shuffled = list(people)
    rnd.shuffle(shuffled)
    assert choose(shuffled, strategy=strategy, now=now, cursor=cursor, requirement=req) == first
    # Same instant in another zone: same answer.
    assert choose(people, strategy=strategy, now=now.astimezone(UTC), cursor=cursor, requirement=req) == first


@settings(max_examples=100, deadline=None)
@given(st.datetimes(), st.sampled_from(STRATEGIES))
def test_naive_now_is_always_rejected(naive, strategy):
    with pytest.raises(ValueError, match="aware datetime"):
        choose([cand(1)], strategy=strategy, now=naive)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(1, 10_000), unique=True, min_size=1, max_size=12),
    st.none() | st.integers(0, 10_001),
    st.integers(1, 300),
)
def test_round_robin_is_within_one_of_even_from_any_cursor(ids, cursor, steps):
    team = [cand(i) for i in ids]
    random.Random(steps).shuffle(team)
    picks = rotate(team, steps, cursor=cursor)
    assert spread(picks, ids) <= 1
