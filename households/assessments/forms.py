"""The phone form of an assessment (every item at once) and a gap's closing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.models import Assessment
from xigang.widgets import IsoDateInput

MET_CHOICES = [("1", _("met")), ("0", _("not met"))]


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(
        label=_("assessed on"), widget=IsoDateInput, initial=timezone.localdate
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item, label in Assessment.Item.choices:
            self.fields[item] = forms.ChoiceField(
                label=label, choices=MET_CHOICES, widget=forms.RadioSelect
            )
        self.fields["note"] = forms.CharField(
            label=_("note"), max_length=200, required=False, widget=forms.Textarea({"rows": 2})
        )

    def results(self) -> dict[str, bool]:
        return {item: self.cleaned_data[item] == "1" for item in Assessment.Item.values}


class GapCloseForm(forms.Form):
    evidence = forms.CharField(
        label=_("what was done"), required=False, widget=forms.Textarea({"rows": 3})
    )
    upload = forms.FileField(
        label=_("evidence file"),
        required=False,
        help_text=_("PDF, an image, or an Office document"),
    )
