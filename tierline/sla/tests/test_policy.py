"""Policy selection precedence and snapshot parsing (pure)."""

import datetime as dt

import pytest

from tierline.sla.policy import (
    AmbiguousPolicy,
    Candidate,
    PolicyError,
    ambiguities,
    select,
    snapshot_from_dict,
    snapshot_to_dict,
)

ANY = Candidate(1, "default", rank=100)
P1 = Candidate(2, "p1", rank=100, priority="P1")
P1_VIP = Candidate(3, "p1-vip", rank=100, priority="P1", customer_tier="vip")
BILLING = Candidate(4, "billing", rank=100, type="billing")
SECURITY_FIRST = Candidate(5, "security", rank=10, type="security")


@pytest.mark.parametrize("priority, type, tier, expected", [
    ("P3", "technical", "standard", "default"),
    ("P1", "technical", "standard", "p1"),
    ("P1", "technical", "vip", "p1-vip"),  # more specific wins within a rank
    ("P2", "billing", None, "billing"),
    ("P1", "security", "vip", "security"),  # a lower rank beats any specificity
])
def test_precedence(priority, type, tier, expected):
    chosen = select([ANY, P1, P1_VIP, BILLING, SECURITY_FIRST], priority=priority, type=type, customer_tier=tier)
    assert chosen.name == expected


def test_a_tie_is_reported_not_guessed():
    with pytest.raises(AmbiguousPolicy) as info:
        select([P1, BILLING], priority="P1", type="billing", customer_tier=None)
    assert info.value.names == ["billing", "p1"] and "same rank" in str(info.value)
    assert select([P1, BILLING], priority="P1", type="technical", customer_tier=None).name == "p1"


def test_no_match_is_none():
    assert select([P1], priority="P4", type="technical", customer_tier=None) is None


def test_ambiguities_lists_overlapping_equal_pairs_only():
    assert ambiguities([ANY, P1, P1_VIP, BILLING, SECURITY_FIRST]) == [("p1", "billing")]
    assert ambiguities([Candidate(1, "a", 1, priority="P1"), Candidate(2, "b", 1, priority="P2")]) == []


def test_snapshot_round_trip():
    raw = {"policy_id": 7, "version": 3, "name": "Gold", "generation": 2,
           "calendar": {"timezone": "UTC", "always_open": True},
           "targets": {"acknowledgement": 900, "resolution": 14400}, "pause_statuses": ["pending_customer"],
           "warnings": [90, 75], "steps": [{"target": "resolution", "offset": -1800, "action": "notify",
                                            "whom": "supervisor_chain"},
                                           {"target": "resolution", "offset": 0, "action": "escalate_level",
                                            "repeat_every": 7200, "max_repeats": 2}]}
    snap = snapshot_from_dict(raw)
    assert snap.target("resolution") == dt.timedelta(hours=4) and snap.target("update") is None
    assert snap.warnings == (75, 90)
    assert snap.steps[0].offset == dt.timedelta(minutes=-30) and snap.steps[0].param("whom") == "supervisor_chain"
    assert snapshot_from_dict(snapshot_to_dict(snap)) == snap


@pytest.mark.parametrize("raw, field", [
    ({"targets": {"lunch": 60}}, "targets.lunch"),
    ({"targets": {"resolution": -5}}, "targets.resolution"),
    ({"targets": {"resolution": "soon"}}, "targets.resolution"),
    ({"warnings": [120]}, "warnings"),
    ({"steps": [{"action": "panic"}]}, "steps[0].action"),
    ({"steps": [{"action": "notify", "whom": "everyone"}]}, "steps[0].whom"),
    ({"steps": [{"action": "escalate_team"}]}, "steps[0].team"),
    ({"steps": [{"action": "escalate_level", "repeat_every": 0}]}, "steps[0].repeat_every"),
])
def test_bad_policies_name_the_field(raw, field):
    with pytest.raises(PolicyError) as info:
        snapshot_from_dict(raw)
    assert str(info.value).startswith(f"{field}:")
