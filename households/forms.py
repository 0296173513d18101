"""The portal's forms on the registry: a member change, with the household picked by its number or
its head's name within the user's scope (never a database id)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duties.models import Department
from households import selectors
from households.models import HelpMeasure, Household, MemberChange, PlanStep
from xigang.widgets import IsoDateInput


class HouseholdPickerField(forms.CharField):
    """A household by number or head's name, looked up within the form's user's scope."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user: User | AnonymousUser = AnonymousUser()

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {
            **super().widget_attrs(widget),
            "list": "household-suggestions",
            "autocomplete": "off",
            "data-suggest-url": reverse_lazy("households:suggest"),
        }

    def clean(self, value: Any) -> Household:
        text = super().clean(value)
        try:
            return selectors.household_pick(user=self.user, text=text)
        except selectors.PickError as error:
            raise forms.ValidationError(str(error), code="pick") from None


class MemberChangeForm(forms.Form):
    household = HouseholdPickerField(
        label=_("household"),
        help_text=_("its number, or the head's name; suggestions come from your villages"),
    )
    kind = forms.ChoiceField(label=_("kind of change"), choices=MemberChange.Kind.choices)
    name = forms.CharField(label=_("full name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        help_text=_("may stay empty for a newborn until the number is issued"),
    )
    happened_on = forms.DateField(label=_("date of change"), widget=IsoDateInput())
    reported_on = forms.DateField(
        label=_("date reported"), widget=IsoDateInput(), initial=timezone.localdate
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        picker = self.fields["household"]
        assert isinstance(picker, HouseholdPickerField)
        picker.user = user


# --- 一户一策 (art. 34) ---------------------------------------------------------------------------


class PlanForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2019, max_value=2100)
    summary = forms.CharField(label=_("summary"), widget=forms.Textarea(attrs={"rows": 3}))


class PlanStepForm(forms.Form):
    step = forms.ChoiceField(label=_("step"), choices=PlanStep.Step.choices)
    done_on = forms.DateField(label=_("done on"), widget=IsoDateInput(), initial=timezone.localdate)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("measure"), choices=HelpMeasure.Kind.choices)
    department = forms.ModelChoiceField(
        label=_("department"),
        queryset=Department.objects.order_by("name"),
        required=False,
        help_text=_("empty: the department that answers for the measure"),
    )
    due = forms.DateField(label=_("due"), widget=IsoDateInput())
    amount = forms.DecimalField(
        label=_("amount (yuan)"), max_digits=10, decimal_places=2, min_value=0, required=False
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class DeliveryForm(forms.Form):
    done_on = forms.DateField(
        label=_("carried out on"), widget=IsoDateInput(), initial=timezone.localdate
    )
    evidence = forms.CharField(
        label=_("evidence"),
        max_length=200,
        required=False,
        help_text=_("what shows it was done: a short text, a file, or both"),
    )
    evidence_file = forms.FileField(label=_("evidence file"), required=False)
