"""Forms of the calendar and SLA policy screens: plain units in, the stored JSON spec out.

A calendar is a week grid of shifts ("09:00-12:30, 13:30-18:00" per weekday), a time zone, public
holidays by country/subdivision and extra closed days; it is stored in the CAL.json form that
`calendars.spec` reads, and checked by it. Policy targets are hours and minutes, offsets minutes.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import lru_cache

import holidays
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from tierline.calendars.spec import CalendarError, calendar_from_dict
from tierline.calendars.timecalc import WEEKDAYS
from tierline.core import inputs
from tierline.escalations.choices import Status
from tierline.sla.models import Calendar, SlaPolicy
from tierline.sla.policy import NOTIFY_WHOM, STEP_ACTIONS, TARGETS
from tierline.tenancy.choices import Role
from tierline.tenancy.models import Team

DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}
_SHIFT = re.compile(r"\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*")
MAX_HOURS = 10 * 366 * 24


@lru_cache(maxsize=1)
def zone_choices() -> list[tuple[str, str]]:
    # Only zones zoneinfo can load here: the picker never offers a name the calendar would refuse.
    names = sorted(zoneinfo.available_timezones() | {"UTC"})
    return [(z, z) for z in names if not z.startswith("SystemV/") and z not in ("localtime", "Factory")]


@lru_cache(maxsize=1)
def country_choices() -> list[tuple[str, str]]:
    return [("", "no public holidays")] + [(c, c) for c in sorted(holidays.list_supported_countries())]


def shifts_text(intervals: list) -> str:
    return ", ".join(f"{a}-{b}" for a, b in intervals)


def parse_shifts(text: str, day: str) -> list[list[str]]:
    """ "09:00-12:30, 13:30-18:00" → [["09:00", "12:30"], ["13:30", "18:00"]]; empty → closed."""
    out = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        m = _SHIFT.fullmatch(part)
        if not m:
            raise forms.ValidationError(f"{DAY_NAMES[day]}: “{part}” is not a shift like 09:00-17:30")
        out.append([m.group(1).zfill(5), m.group(2).zfill(5)])
    return out


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=100, validators=[inputs.validate_text])
    timezone = forms.ChoiceField(label="Time zone", choices=zone_choices)
    always_open = forms.BooleanField(required=False, label="Open around the clock (24×7, no holidays)")
    holiday_country = forms.ChoiceField(label="Public holidays of", choices=country_choices, required=False)
    holiday_subdivision = forms.CharField(label="Subdivision", max_length=10, required=False,
                                          validators=[inputs.validate_text],
                                          help_text="e.g. ENG for England, BY for Bavaria; empty: the whole country")
    closed = forms.CharField(label="Extra closed days", required=False, validators=[inputs.validate_text],
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="one date a line (YYYY-MM-DD), e.g. a company day off")

    def __init__(self, data=None, *, tenant, instance: Calendar | None = None, **kwargs):
        self.tenant, self.instance = tenant, instance
        spec = instance.spec if instance else {"timezone": "UTC", "hours": {
            d: [["09:00", "17:00"]] for d in WEEKDAYS[:5]}}
        self.special = spec.get("special") or {}
        if data is None and "initial" not in kwargs:
            hol = spec.get("holidays") or {}
            kwargs["initial"] = {
                "name": instance.name if instance else "", "timezone": spec.get("timezone", "UTC"),
                "always_open": spec.get("always_open", False), "holiday_country": hol.get("country") or "",
                "holiday_subdivision": hol.get("subdivision") or "", "closed": "\n".join(spec.get("closed") or []),
                **{f"hours_{d}": shifts_text((spec.get("hours") or {}).get(d, [])) for d in WEEKDAYS}}
        super().__init__(data, **kwargs)
        for d in WEEKDAYS:
            self.fields[f"hours_{d}"] = forms.CharField(
                label=DAY_NAMES[d], required=False, max_length=200, validators=[inputs.validate_text],
                widget=forms.TextInput(attrs={"placeholder": "closed"}))

    def week(self):
        return [(DAY_NAMES[d], self[f"hours_{d}"]) for d in WEEKDAYS]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Calendar.objects.filter(tenant=self.tenant, name__iexact=name)
        if self.instance:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("another calendar has this name")
        return name

    def clean_closed(self):
        days = []
        for line in filter(None, (p.strip() for p in re.split(r"[\n,;]+", self.cleaned_data["closed"]))):
            try:
                days.append(inputs.parse_day(line).isoformat())
            except ValueError:
                raise forms.ValidationError(f"“{line}” is not a date (YYYY-MM-DD between 1900 and 2200)")
        return sorted(set(days))

    def clean(self):
        data = super().clean()
        if set(self.errors) - {"name"}:  # a bad name alone still lets the preview build the spec
            return data
        if data.get("always_open"):
            spec = {"timezone": data["timezone"], "always_open": True}
        else:
            hours = {}
            for d in WEEKDAYS:
                try:
                    hours[d] = parse_shifts(data.get(f"hours_{d}", ""), d)
                except forms.ValidationError as exc:
                    self.add_error(f"hours_{d}", exc)
            if set(self.errors) - {"name"}:
                return data
            country, sub = data.get("holiday_country") or None, (data.get("holiday_subdivision") or "").strip() or None
            if sub and not country:
                self.add_error("holiday_subdivision", "choose the country first")
                return data
            spec = {"timezone": data["timezone"], "hours": hours,
                    "holidays": {"country": country, "subdivision": sub} if country else None,
                    "closed": data["closed"], "special": self.special}
            if not any(hours.values()):
                self.add_error(None, "the calendar is never open: give at least one shift, or tick 24×7")
                return data
        try:
            calendar_from_dict(spec)
        except CalendarError as exc:
            field = {"hours": None, "holidays": "holiday_country", "timezone": "timezone", "closed": "closed"}
            key = str(exc).split(".", 1)[0].split(":", 1)[0].split("[", 1)[0]
            if key == "holidays" and "subdivision" in str(exc):
                self.add_error("holiday_subdivision", str(exc))
            elif key == "hours":
                day = str(exc).split(".", 1)[1][:3] if "." in str(exc) else ""
                self.add_error(f"hours_{day}" if day in WEEKDAYS else None, str(exc))
            else:
                self.add_error(field.get(key), str(exc))
            return data
        data["spec"] = spec
        return data


class PreviewForm(forms.Form):
    start = forms.DateTimeField(label="Start", input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                validators=[inputs.validate_year])
    hours = forms.IntegerField(min_value=0, max_value=MAX_HOURS, initial=8, required=False)
    minutes = forms.IntegerField(min_value=0, max_value=59, initial=0, required=False)

    def clean(self):
        data = super().clean()
        total = dt.timedelta(hours=data.get("hours") or 0, minutes=data.get("minutes") or 0)
        if not self.errors and total <= dt.timedelta(0):
            self.add_error("hours", "give a duration")
        data["duration"] = total
        return data


def _duration_fields(label: str):
    return (forms.IntegerField(label=f"{label} — hours", min_value=0, max_value=MAX_HOURS, required=False),
            forms.IntegerField(label="minutes", min_value=0, max_value=59, required=False))


TARGET_FIELDS = (("acknowledgement", "acknowledgement", "Acknowledge within"),
                 ("first_response", "first_response", "First response within"),
                 ("update_cadence", "update", "Update the customer every"),
                 ("resolution", "resolution", "Resolve within"))


class PolicyForm(forms.ModelForm):
    warnings_text = forms.CharField(label="Warn at (% of the target used)", required=False, max_length=100,
                                    validators=[inputs.validate_text], help_text="comma-separated, e.g. 75, 90")
    pause_statuses = forms.MultipleChoiceField(label="Clock pauses while", required=False,
                                               widget=forms.CheckboxSelectMultiple,
                                               choices=[(s.value, s.label) for s in Status])

    class Meta:
        model = SlaPolicy
        fields = ["name", "rank", "is_active", "priority", "type", "customer_tier", "calendar", "pause_statuses"]

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.instance.tenant = tenant
        self.fields["calendar"].queryset = Calendar.objects.filter(tenant=tenant).order_by("name")
        self.fields["name"].validators.append(inputs.validate_text)
        for attr, _, label in TARGET_FIELDS:
            hours, minutes = _duration_fields(label)
            self.fields[f"{attr}_h"], self.fields[f"{attr}_m"] = hours, minutes
            if not self.is_bound and (value := getattr(self.instance, attr)) is not None:
                total = int(value.total_seconds()) // 60
                self.initial[f"{attr}_h"], self.initial[f"{attr}_m"] = divmod(total, 60)
        if not self.is_bound:
            self.initial["warnings_text"] = ", ".join(str(w) for w in self.instance.warnings or [])
            if not self.instance.pk:
                self.initial["pause_statuses"] = ["pending_customer"]
        self.step_rows = steps_from_post(self.data) if self.is_bound else [
            step_row(s) for s in self.instance.steps or []]
        self.teams = list(Team.objects.filter(tenant=tenant).order_by("level", "name").values_list("pk", "name"))

    def targets(self):
        return [(label, self[f"{attr}_h"], self[f"{attr}_m"]) for attr, _, label in TARGET_FIELDS]

    def clean_warnings_text(self):
        out = []
        for part in filter(None, (p.strip().rstrip("%") for p in self.cleaned_data["warnings_text"].split(","))):
            value = inputs.parse_int(part, lo=1, hi=99)
            if value is None:
                raise forms.ValidationError(f"“{part}” is not a percentage between 1 and 99")
            out.append(value)
        return sorted(set(out))

    def _update_errors(self, errors):
        # The model names its own fields (resolution, warnings, steps); the form shows them as
        # hours/minutes, a percentage list and a step table.
        if hasattr(errors, "error_dict"):
            moved = {"warnings": "warnings_text", **{attr: f"{attr}_h" for attr, _, _ in TARGET_FIELDS}}
            remapped: dict = {}
            for key, value in errors.error_dict.items():
                key = moved.get(key, key)
                remapped.setdefault(key if key in self.fields else NON_FIELD_ERRORS, []).extend(value)
            errors = forms.ValidationError(remapped)
        super()._update_errors(errors)

    def _post_clean(self):
        data = self.cleaned_data
        for attr, _, _ in TARGET_FIELDS:
            h, m = data.get(f"{attr}_h"), data.get(f"{attr}_m")
            setattr(self.instance, attr, dt.timedelta(hours=h or 0, minutes=m or 0) if (h or m) else None)
        self.instance.warnings = data.get("warnings_text", [])
        self.instance.pause_statuses = data.get("pause_statuses", [])
        try:
            self.instance.steps = steps_to_spec(self.step_rows, {pk for pk, _ in self.teams})
        except forms.ValidationError as exc:
            self.add_error(None, exc)
        super()._post_clean()


def step_row(step: dict) -> dict:
    return {"target": step.get("target", "resolution"), "offset": str(int(step.get("offset", 0)) // 60),
            "action": step.get("action", ""), "whom": step.get("whom", ""), "role": step.get("role", ""),
            "team": str(step.get("team", "")),
            "repeat": str(int(step["repeat_every"]) // 60) if step.get("repeat_every") else "",
            "max_repeats": str(step.get("max_repeats") or "")}


STEP_FIELDS = ("target", "offset", "action", "whom", "role", "team", "repeat", "max_repeats")


def steps_from_post(post) -> list[dict]:
    count = inputs.parse_int(post.get("steps") or "0", lo=0, hi=50) or 0
    rows = []
    for i in range(count):
        row = {f: str(post.get(f"s{i}-{f}", ""))[:40] for f in STEP_FIELDS}
        if row["action"] and not post.get(f"s{i}-remove"):
            rows.append(row)
    return rows


def steps_to_spec(rows: list[dict], team_ids: set[int]) -> list[dict]:
    out = []
    for n, row in enumerate(rows, 1):
        where = f"breach step {n}"
        if row["target"] not in TARGETS or row["action"] not in STEP_ACTIONS:
            raise forms.ValidationError(f"{where}: choose a target and an action")
        offset = inputs.parse_int(row["offset"] or "0", lo=-MAX_HOURS * 60, hi=MAX_HOURS * 60)
        if offset is None:
            raise forms.ValidationError(f"{where}: the offset is a whole number of minutes")
        step = {"target": row["target"], "offset": offset * 60, "action": row["action"]}
        if row["action"] == "notify":
            if row["whom"] not in NOTIFY_WHOM or row["whom"] == "user":
                raise forms.ValidationError(f"{where}: say whom to notify")
            step["whom"] = row["whom"]
            if row["whom"] == "role":
                if row["role"] not in Role.values:
                    raise forms.ValidationError(f"{where}: choose the role to notify")
                step["role"] = row["role"]
        if row["action"] == "escalate_team":
            team = inputs.parse_id(row["team"])
            if team not in team_ids:
                raise forms.ValidationError(f"{where}: choose the team to escalate to")
            step["team"] = team
        if row["repeat"]:
            repeat = inputs.parse_int(row["repeat"], lo=1, hi=MAX_HOURS * 60)
            repeats = inputs.parse_int(row["max_repeats"] or "1", lo=1, hi=100)
            if repeat is None or repeats is None:
                raise forms.ValidationError(f"{where}: repeat every N minutes (1 or more), at most 100 times")
            step["repeat_every"], step["max_repeats"] = repeat * 60, repeats
        out.append(step)
    return out
