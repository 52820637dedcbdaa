"""The SLA policy simulator page (staff only)."""

import datetime as dt
import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tierline.core import inputs
from tierline.sla.simulate import simulate

EXAMPLE_CALENDAR = {"timezone": "Europe/London",
                    "hours": {d: [["09:00", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
                    "holidays": {"country": "GB", "subdivision": "ENG"}}
EXAMPLE_POLICY = {"targets": {"acknowledgement": 1800, "resolution": 28800}, "warnings": [75],
                  "pause_statuses": ["pending_customer"],
                  "steps": [{"target": "resolution", "offset": -3600, "action": "notify", "whom": "supervisor_chain"},
                            {"target": "resolution", "offset": 0, "action": "escalate_level"},
                            {"target": "resolution", "offset": 7200, "action": "notify", "whom": "role",
                             "role": "manager"}]}


class SimulatorForm(forms.Form):
    calendar = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}),
                               initial=json.dumps(EXAMPLE_CALENDAR, indent=1))
    policy = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), initial=json.dumps(EXAMPLE_POLICY, indent=1))
    start = forms.CharField(help_text="ISO 8601 with offset, e.g. 2026-11-27T16:00:00+00:00",
                            initial="2026-11-27T16:00:00+00:00")

    def clean(self):
        data = super().clean()
        for name in ("calendar", "policy"):
            try:
                data[name] = inputs.loads(data.get(name) or "")
            except ValueError as exc:
                self.add_error(name, str(exc))
                continue
            problems = inputs.scan(data[name], name)
            if problems:
                self.add_error(name, "; ".join(f"{k}: {v}" for k, v in problems.items()))
            elif not isinstance(data[name], dict):
                self.add_error(name, "a JSON object is required")
        try:
            data["start"] = dt.datetime.fromisoformat(data.get("start") or "")
        except ValueError:
            self.add_error("start", "not an ISO 8601 date-time")
        else:
            if inputs.date_problem(data["start"]):
                self.add_error("start", inputs.date_problem(data["start"]))
        return data


@login_required
def simulator(request):
    form = SimulatorForm(request.POST or None)
    rows, error = None, None
    if request.method == "POST" and form.is_valid():
        try:
            rows = simulate(form.cleaned_data["calendar"], form.cleaned_data["policy"], form.cleaned_data["start"])
        except (ValueError, OverflowError) as exc:
            # OverflowError: a calendar whose next open hour lies past year 9999 (e.g. no open hours
            # left in the range the simulator walks) — the inputs themselves were in range.
            error = str(exc)
    return render(request, "sla/simulator.html", {"form": form, "rows": rows, "error": error},
                  status=422 if error or form.errors else 200)
