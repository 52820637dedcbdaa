from __future__ import annotations

import datetime as dt

from django import forms

from tierline.core.inputs import DayField
from tierline.escalations.choices import Channel, EscalationType
from tierline.tenancy.choices import CustomerTier


def _blank(choices):
    return [("", "any")] + list(choices)


class ReportForm(forms.Form):
    start = DayField(required=False, help_text="first day (tenant's time zone)")
    end = DayField(required=False, help_text="last day, included")
    type = forms.ChoiceField(required=False, choices=_blank(EscalationType.choices))
    level = forms.TypedChoiceField(required=False, coerce=int, empty_value=None,
                                   choices=_blank([(n, f"L{n}") for n in range(1, 6)]))
    team = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[("", "any")])
    agent = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[("", "any")])
    tier = forms.ChoiceField(required=False, choices=_blank(CustomerTier.choices))
    channel = forms.ChoiceField(required=False, choices=_blank(Channel.choices))
    grain = forms.ChoiceField(required=False, choices=[("week", "week"), ("month", "month"), ("day", "day")])

    def __init__(self, *args, teams=(), agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "any")] + [(t.pk, t.name) for t in teams]
        self.fields["agent"].choices = [("", "any")] + [(u.pk, str(u)) for u in agents]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "the last day is before the first")
        if start and end and (end - start) > dt.timedelta(days=731):
            self.add_error("end", "at most two years at a time")
        return data
