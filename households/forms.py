"""The portal's forms on the registry: a member change, with the household picked by its number or
its head's name within the user's scope (never a database id)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households import selectors
from households.models import Household, MemberChange
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
