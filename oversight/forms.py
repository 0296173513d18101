"""The portal's oversight forms: fields only; the rules are the services' (oversight.services)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duties.models import Article, Cadre, Village
from oversight.checks import LADDER_HELP
from oversight.models import Accountability, FirstSecretaryCheck, Inspection, SpotCheckAnswer
from oversight.spot_checks import MAX_SAMPLE

if TYPE_CHECKING:  # django-stubs' companion, installed with the test tools only
    from django_stubs_ext import StrOrPromise


def _date(label: StrOrPromise, *, required: bool = True, initial: Any = None) -> forms.DateField:
    # an ISO value: the zh-hans first input format would leave <input type=date> blank
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        required=required,
        initial=initial,
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OpenFindingForm(forms.Form):
    inspection = forms.ModelChoiceField(
        label=_("inspection"), queryset=Inspection.objects.order_by("-started_on")
    )
    article = forms.ModelChoiceField(
        label=_("article breached"), queryset=Article.objects.all(), initial=41
    )
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}))
    deadline = _date(_("rectify by"))


class ReportForm(forms.Form):
    rectification = forms.CharField(
        label=_("what was rectified"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    report_file = forms.FileField(label=_("rectification evidence"), required=False)


class ExtendForm(forms.Form):
    deadline = _date(_("new deadline"))
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    rectified_on = _date(_("rectified on"), initial=timezone.localdate)


class DrawForm(forms.Form):
    village = forms.ModelChoiceField(
        label=_("village"), queryset=Village.objects.order_by("name"), required=False
    )
    cadre = forms.ModelChoiceField(
        label=_("cadre"), queryset=Cadre.objects.order_by("name"), required=False
    )
    size = forms.IntegerField(label=_("sample size"), min_value=1, max_value=MAX_SAMPLE, initial=5)
    quarter_of = _date(_("a day of the quarter asked about"), required=False)
    seed = forms.IntegerField(
        label=_("seed (to repeat a draw)"), required=False, min_value=0, max_value=2**62
    )


_YES_NO = [("", _("not asked")), ("true", _("yes")), ("false", _("no"))]


def _yes_no(label: StrOrPromise) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=_YES_NO,
        coerce=lambda v: v == "true",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )


class AnswerForm(forms.Form):
    """What the household says, on a phone: radio buttons, few words to type."""

    visited = forms.ChoiceField(
        label=_("visited at home this quarter"),
        choices=SpotCheckAnswer.Visited.choices,
        widget=forms.RadioSelect,
    )
    visitor = forms.CharField(label=_("visited by (as the household says)"), required=False)
    knows_name = _yes_no(_("knows the cadre's name"))
    knows_phone = _yes_no(_("knows the cadre's phone"))
    food = _yes_no(_("enough to eat"))
    clothing = _yes_no(_("enough to wear"))
    education = _yes_no(_("children in school"))
    medical = _yes_no(_("basic medical care"))
    housing = _yes_no(_("safe housing"))
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class AccountabilityForm(forms.Form):
    """A decision under art. 43 that follows a finding (从重: the step's heavier measure)."""

    severity = forms.ChoiceField(label=_("severity"), choices=Accountability.Severity.choices)
    measure = forms.ChoiceField(
        label=_("measure"),
        help_text=LADDER_HELP,
        choices=[
            c for c in Accountability.Measure.choices if c[0] != Accountability.Measure.DISCIPLINE
        ],
    )
    decided_on = _date(_("decided on"), initial=timezone.localdate)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))
    referred_on = _date(_("referred for Party or administrative discipline on"), required=False)
    referral = forms.CharField(
        label=_("discipline referral (to whom, what)"), required=False, max_length=500
    )


class FirstSecretaryCheckForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"), choices=FirstSecretaryCheck.Kind.choices, widget=forms.RadioSelect
    )
    on = _date(_("date"), initial=timezone.localdate)
    result = forms.CharField(label=_("what was found"), widget=forms.Textarea(attrs={"rows": 3}))
