"""The status state machine, checked against the product brief rather than against its own table.

The expected table below is written out by hand from the brief (new → acknowledged → in progress
⇄ pending customer / third party → resolved → closed; resolved → reopened; any open state →
cancelled), so a change to states.TRANSITIONS that the brief does not allow fails here.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tierline.escalations import states
from tierline.escalations.choices import Status
from tierline.escalations.states import OPEN, TERMINAL, IllegalMove, S

ALL = tuple(S)
OPEN_BY_BRIEF = {S.NEW, S.ACKNOWLEDGED, S.IN_PROGRESS, S.PENDING_CUSTOMER, S.PENDING_THIRD_PARTY, S.REOPENED}
WORKING = (S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED)

EXPECTED: dict[str, dict[S, S]] = {
    "acknowledge": {S.NEW: S.ACKNOWLEDGED},
    "start_progress": {S.ACKNOWLEDGED: S.IN_PROGRESS, S.REOPENED: S.IN_PROGRESS},
    "pend_customer": {
        S.ACKNOWLEDGED: S.PENDING_CUSTOMER, S.IN_PROGRESS: S.PENDING_CUSTOMER,
        S.REOPENED: S.PENDING_CUSTOMER, S.PENDING_THIRD_PARTY: S.PENDING_CUSTOMER,
    },
    "pend_third_party": {
        S.ACKNOWLEDGED: S.PENDING_THIRD_PARTY, S.IN_PROGRESS: S.PENDING_THIRD_PARTY,
        S.REOPENED: S.PENDING_THIRD_PARTY, S.PENDING_CUSTOMER: S.PENDING_THIRD_PARTY,
    },
    "resume": {S.PENDING_CUSTOMER: S.IN_PROGRESS, S.PENDING_THIRD_PARTY: S.IN_PROGRESS},
    "resolve": {
        S.ACKNOWLEDGED: S.RESOLVED, S.IN_PROGRESS: S.RESOLVED, S.REOPENED: S.RESOLVED,
        S.PENDING_CUSTOMER: S.RESOLVED, S.PENDING_THIRD_PARTY: S.RESOLVED,
    },
    "close": {S.RESOLVED: S.CLOSED},
    "reopen": {S.RESOLVED: S.REOPENED},
    "cancel": {s: S.CANCELLED for s in OPEN_BY_BRIEF},
    "merge_close": {s: S.CLOSED for s in OPEN_BY_BRIEF},
}

PAIRS = list(itertools.product(ALL, sorted(EXPECTED)))


def test_the_machine_knows_exactly_the_moves_the_brief_describes():
    assert set(states.MOVES) == set(EXPECTED)


def test_every_stored_status_is_a_state_of_the_machine_and_back():
    # A status the model can store but the machine does not know could never move again.
    assert {s.value for s in S} == set(Status.values)


@pytest.mark.parametrize(("status", "move"), PAIRS, ids=[f"{s.value}-{m}" for s, m in PAIRS])
def test_move_from_status(status, move):
    target = EXPECTED[move].get(status)
    if target is not None:
        assert states.next_status(status.value, move) is target
        assert move in states.allowed_moves(status.value)
    else:
        with pytest.raises(IllegalMove) as info:
            states.next_status(status.value, move)
        message = str(info.value)
        # The person who tried it reads what they tried, where the case is, and where it could be.
        assert message.startswith(f"cannot {move.replace('_', ' ')} an escalation that is ")
        assert status.value.replace("_", " ") in message
        for allowed_from in EXPECTED[move]:
            assert allowed_from.value.replace("_", " ") in message
        assert (info.value.move, info.value.status) == (move, status.value)
        assert move not in states.allowed_moves(status.value)


def test_an_unknown_move_is_a_programming_error_not_an_illegal_move():
    with pytest.raises(ValueError, match="unknown move 'teleport'"):
        states.next_status("new", "teleport")


def test_an_unknown_status_is_refused_as_an_illegal_move():
    with pytest.raises(IllegalMove, match="that is archived"):
        states.next_status("archived", "resolve")


def test_terminal_states_have_no_way_out():
    assert TERMINAL == {S.CLOSED, S.CANCELLED}
    for status in TERMINAL:
        assert states.allowed_moves(status) == []


def test_resolved_is_neither_open_nor_terminal():
    # Resolved waits for the customer: it can still be reopened or closed, but not worked.
    assert not states.is_open(S.RESOLVED)
    assert S.RESOLVED not in TERMINAL
    assert sorted(states.allowed_moves(S.RESOLVED)) == ["close", "reopen"]


def test_everything_is_reachable_from_new():
    assert states.reachable() == frozenset(ALL)
    assert states.reachable(S.NEW) == frozenset(ALL)


def test_nothing_but_themselves_is_reachable_from_terminal_states():
    for status in TERMINAL:
        assert states.reachable(status) == {status}


def test_open_set_matches_the_brief():
    assert OPEN == OPEN_BY_BRIEF
    assert states.PENDING == {S.PENDING_CUSTOMER, S.PENDING_THIRD_PARTY}


@given(st.sampled_from(ALL))
def test_is_open_agrees_with_open_set(status):
    assert states.is_open(status.value) is (status in OPEN)
    assert states.is_open(status.value) is ("cancel" in states.allowed_moves(status.value))


@given(st.lists(st.sampled_from(sorted(EXPECTED)), max_size=40))
def test_random_move_sequences_from_new_stay_inside_the_machine(moves):
    status = S.NEW
    seen_terminal = None
    for move in moves:
        try:
            after = states.next_status(status, move)
        except IllegalMove:
            assert move not in states.allowed_moves(status)
            continue
        assert move in states.allowed_moves(status)
        assert after in ALL
        assert after == EXPECTED[move][status]
        if seen_terminal is not None:
            pytest.fail(f"{move} moved a {seen_terminal} escalation to {after}")
        status = after
        if status in TERMINAL:
            seen_terminal = status
    assert status in ALL
    assert states.is_open(status) is (status in OPEN)


@given(st.sampled_from(ALL), st.sampled_from(sorted(EXPECTED)))
def test_allowed_moves_and_next_status_agree(status, move):
    legal = move in states.allowed_moves(status)
    try:
        states.next_status(status, move)
    except IllegalMove:
        assert not legal
    else:
        assert legal
