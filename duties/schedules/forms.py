"""Forms of the scheduled duties: completing and waiving an obligation, recording a 公示, and
recording the event behind an on-event duty."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from duties.models import Department, Disclosure, Duty, Village
from xigang.widgets import IsoDateInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class CompleteForm(forms.Form):
    # the metaclass moves declared fields off the class, so this never shadows BaseForm.files
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("evidence files"),
        required=False,
        help_text=_(
            "PDF, images (JPG, PNG, GIF, WebP), Excel (.xlsx) or Word (.docx), at most 10 MB each."
        ),
    )
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class WaiveForm(forms.Form):
    waived_reason = forms.CharField(
        label=_("reason for waiving"), widget=forms.Textarea(attrs={"rows": 3})
    )


class DisclosureForm(forms.Form):
    """A 公示: where, what, the days it stayed up, and photos of it on the board."""

    village: forms.ModelChoiceField[Village] = forms.ModelChoiceField(
        label=_("village"), queryset=None
    )
    kind = forms.ChoiceField(label=_("kind"), choices=Disclosure.Kind.choices)
    title = forms.CharField(label=pgettext_lazy("notice", "title"), max_length=100)
    posted_from = forms.DateField(label=_("first day posted"), widget=IsoDateInput)
    posted_until = forms.DateField(
        label=_("last day posted"),
        required=False,
        widget=IsoDateInput,
        help_text=_("Empty while still posted."),
    )
    photos = MultipleFileField(
        label=_("photos of it posted"),
        required=False,
        help_text=_(
            "Photos of the notice on the board, entered the day it is posted: the days are "
            "counted from the day the first one is entered (JPG, PNG, GIF, WebP), at most 10 MB "
            "each."
        ),
    )
    taken_down_photos = MultipleFileField(
        label=_("photos of it taken down"),
        required=False,
        help_text=_(
            "With the last day posted: photos of the board once the notice is taken down, "
            "entered the day it is taken down (the days end by the day the first one is "
            "entered)."
        ),
    )

    def __init__(self, *args: Any, villages: QuerySet[Village], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["village"]).queryset = villages


class DutyChoiceField(forms.ModelChoiceField):
    """An on-event duty, labelled with its clause, unit, text, evidence and days allowed."""

    def label_from_instance(self, obj: Any) -> str:  # noqa: ANN401 (a Duty with the selector's annotations)
        unit = obj.department.name if obj.department_id else _("each village")
        days = obj.due_day_in_force or 1
        return _("%(clause)s %(unit)s: %(text)s (evidence: %(evidence)s; within %(days)s days)") % {
            "clause": obj.label,
            "unit": unit,
            "text": obj.text,
            "evidence": obj.evidence_in_force,
            "days": days,
        }


class EventForm(forms.Form):
    """The event behind an on-event duty: which duty, which unit, when, what happened.

    `duties`: the on-event duties the user may record (duties.schedules.selectors.event_duties);
    `departments`, `villages`: the units in the user's reach those duties belong to. The
    rules (no future date, the duty's own unit, no duplicate) are the service's."""

    duty = DutyChoiceField(
        label=_("duty"),
        queryset=None,
        widget=forms.RadioSelect(attrs={"class": "choice-list"}),
        empty_label=None,
        error_messages={
            "required": _("choose the duty the event falls under"),
            "invalid_choice": _("choose one of the duties listed"),
        },
    )
    unit = forms.ChoiceField(
        label=_("responsible unit"),
        error_messages={
            "required": _("choose the unit that answers for the event"),
            "invalid_choice": _("choose one of the units listed"),
        },
    )
    event_on = forms.DateField(
        label=_("date of the event"),
        widget=IsoDateInput,
        help_text=_("The day it happened, today or earlier; the days allowed count from it."),
        error_messages={
            "required": _("give the date of the event"),
            "invalid": _("the date of the event is not a date: write it as YYYY-MM-DD"),
        },
    )
    description = forms.CharField(
        label=_("what happened"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In a few words: who or what, and where (at most 200 characters)."),
        error_messages={
            "required": _("describe the event in a few words"),
            "max_length": _(
                "the description has %(show_value)d characters; shorten it to %(limit_value)d"
            ),
        },
    )

    def __init__(
        self,
        *args: Any,
        duties: QuerySet[Duty],
        departments: list[Department],
        villages: list[Village],
        today: date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["duty"]).queryset = duties
        self.units = {f"department-{d.pk}": d for d in departments} | {
            f"village-{v.pk}": v for v in villages
        }
        groups = []
        if departments:
            groups.append((_("departments"), [(f"department-{d.pk}", d.name) for d in departments]))
        if villages:
            groups.append((_("villages"), [(f"village-{v.pk}", v.name) for v in villages]))
        cast(forms.ChoiceField, self.fields["unit"]).choices = [("", _("choose a unit")), *groups]
        self.fields["event_on"].widget.attrs["max"] = today.isoformat()
        if len(self.units) == 1:
            self.fields["unit"].initial = next(iter(self.units))
        if len(duties) == 1:
            self.fields["duty"].initial = duties[0].pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit = self.units.get(data.get("unit") or "")
        data["department"] = unit if isinstance(unit, Department) else None
        data["village"] = unit if isinstance(unit, Village) else None
        return data
