"""Forms of the scheduled duties: completing and waiving an obligation."""

from django import forms
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class CompleteForm(forms.Form):
    files = MultipleFileField(
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
