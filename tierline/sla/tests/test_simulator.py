"""The policy simulator answers with the real clock's schedule."""

import datetime as dt

import pytest

from tierline.sla.simulate import simulate

OFFICE = {"timezone": "Europe/London", "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
          "holidays": {"country": "GB", "subdivision": "ENG"}}
POLICY = {"targets": {"resolution": 4 * 3600}, "warnings": [75],
          "steps": [{"target": "resolution", "offset": 0, "action": "escalate_level"},
                    {"target": "resolution", "offset": 3600, "action": "notify", "whom": "team_lead",
                     "repeat_every": 3600, "max_repeats": 1}]}


def test_friday_afternoon_start_runs_into_monday():
    start = dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)  # a Friday, 16:00 London
    rows = simulate(OFFICE, POLICY, start)
    got = [(r["what"], r["at_text"]) for r in rows]
    assert got == [
        ("75 % warning", "Mon 30 Nov 2026 11:00 GMT"),
        ("breach", "Mon 30 Nov 2026 12:00 GMT"),
        ("step 0: escalate level", "Mon 30 Nov 2026 12:00 GMT"),
        ("step 1: notify", "Mon 30 Nov 2026 13:00 GMT"),
        ("step 1: notify (repeat 1)", "Mon 30 Nov 2026 14:00 GMT"),
    ]


@pytest.mark.parametrize("calendar, policy, start, field", [
    ({"timezone": "Mars/Olympus", "always_open": True}, POLICY, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "calendar.timezone"),
    (OFFICE, {"targets": {"resolution": -1}}, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "policy.targets.resolution"),
    (OFFICE, {"targets": {}}, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "policy.targets"),
    (OFFICE, POLICY, dt.datetime(2026, 1, 1), "start"),
])
def test_bad_input_names_the_field(calendar, policy, start, field):
    with pytest.raises(ValueError) as info:
        simulate(calendar, policy, start)
    assert str(info.value).startswith(field)


def test_simulator_page(client, world):
    client.force_login(world.users["admin"])
    page = client.get("/sla/simulator/")
    assert page.status_code == 200 and "Simulate" in page.content.decode()
    import json

    ok = client.post("/sla/simulator/", {"calendar": json.dumps(OFFICE), "policy": json.dumps(POLICY),
                                         "start": "2026-11-27T16:00:00+00:00"})
    html = ok.content.decode()
    assert ok.status_code == 200 and "Mon 30 Nov 2026 12:00 GMT" in html and 'data-key="resolution:c0:g1:breach"' in html
    bad = client.post("/sla/simulator/", {"calendar": "{nope", "policy": json.dumps(POLICY), "start": "x"})
    assert bad.status_code == 422 and "not JSON" in bad.content.decode()
    assert client.logout() is None and client.get("/sla/simulator/").status_code == 302
