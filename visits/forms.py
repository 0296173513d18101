"""The quick-entry form of a visit, for a pairing cadre on a phone."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from visits.checks import content_error
from visits.models import ProblemCategory, Visit
from xigang.widgets import IsoDateInput


def clean_visit_content(form: forms.BaseForm) -> str:
    """A form's `content`, refused as the service would refuse it (`visits.checks`)."""
    content = form.cleaned_data.get("content", "")
    error = content_error(content)
    if error:
        raise forms.ValidationError(error)
    return content


class VisitForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=Visit.Kind.choices,
        widget=forms.RadioSelect,
        initial=Visit.Kind.HOME,
    )
    on = forms.DateField(label=_("date"), widget=IsoDateInput, initial=timezone.localdate)
    content = forms.CharField(
        label=_("what was discussed or done"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("at least 10 characters of text (art. 39)"),
    )
    problems_found = forms.CharField(
        label=_("problems found"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reports_change = forms.BooleanField(
        label=_("两不愁三保障 changed: re-assess the household"), required=False
    )
    category = forms.ModelChoiceField(
        label=_("route the problem to"),
        queryset=ProblemCategory.objects.select_related("department"),
        required=False,
        empty_label=_("no problem to route"),
        help_text=_("the department answering for this kind of problem gets it, with a due date"),
    )

    def clean_content(self) -> str:
        return clean_visit_content(self)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("category") and not data.get("problems_found", "").strip():
            self.add_error("problems_found", _("describe the problem to route it"))
        return data
