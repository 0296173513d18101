"""The forms of the project and asset pages: list filters, 公示, acceptance, 收益分配."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from duties.models import Village
from projects.models import Asset, Notice, Project
from xigang.widgets import IsoDateInput

YEARS = range(2015, 2100)


class _Filters(forms.Form):
    """The list's filters, from the query string; a bad value is ignored with its message."""

    village: forms.ModelChoiceField[Village] = forms.ModelChoiceField(
        label=_("village"), queryset=None, required=False
    )
    year = forms.TypedChoiceField(label=_("year"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, villages: QuerySet[Village], years: list[int], **kw: Any):
        super().__init__(*args, **kw)
        cast(forms.ModelChoiceField, self.fields["village"]).queryset = villages
        cast(forms.ChoiceField, self.fields["year"]).choices = [
            ("", "---------"),
            *((y, y) for y in years),
        ]


class ProjectFilters(_Filters):
    kind = forms.ChoiceField(
        label=_("kind"), choices=[("", "---------"), *Project.Kind.choices], required=False
    )


class AssetFilters(_Filters):
    owner = forms.ChoiceField(
        label=_("owner"), choices=[("", "---------"), *Asset.Owner.choices], required=False
    )


class NoticeForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("stage"),
        choices=[c for c in Notice.Stage.choices if c[0] != Notice.Stage.DISTRIBUTION],
    )
    posted_on = forms.DateField(label=_("first day posted"), widget=IsoDateInput)
    file = forms.FileField(
        label=_("photo or file of the notice"),
        help_text=_("JPG, PNG, GIF, WebP, PDF, XLSX or DOCX, at most 10 MB."),
    )


class AcceptanceForm(forms.Form):
    accepted_on = forms.DateField(label=_("accepted on"), widget=IsoDateInput)
    note = forms.CharField(
        label=_("acceptance note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DistributionForm(forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=YEARS.start, max_value=YEARS.stop - 1)
    income = forms.DecimalField(
        label=_("income (yuan)"), min_value=0, max_digits=14, decimal_places=2
    )
    distributed = forms.DecimalField(
        label=_("distributed to households (yuan)"), min_value=0, max_digits=14, decimal_places=2
    )
    households = forms.IntegerField(label=_("households receiving"), min_value=0)
    decided_on = forms.DateField(label=_("decided on"), widget=IsoDateInput)
    posted_on = forms.DateField(
        label=_("day the 公示 was posted"), widget=IsoDateInput, required=False
    )
    notice = forms.FileField(label=_("photo or file of the 公示"), required=False)


class DistributionNoticeForm(forms.Form):
    """The 公示 of a distribution already recorded."""

    distribution: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("income distribution"), queryset=None
    )
    posted_on = forms.DateField(label=_("day the 公示 was posted"), widget=IsoDateInput)
    notice = forms.FileField(label=_("photo or file of the 公示"))

    def __init__(self, *args: Any, distributions: QuerySet, **kw: Any):
        super().__init__(*args, **kw)
        cast(forms.ModelChoiceField, self.fields["distribution"]).queryset = distributions
