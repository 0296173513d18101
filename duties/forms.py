"""Forms of the scheduled duties: completing and waiving an obligation, recording a 公示."""

from django import forms
from django.utils.translation import gettext_lazy as _

from duties.models import Disclosure


class DateInput(forms.DateInput):
    input_type = "date"


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


class DisclosureForm(forms.Form):
    """A 公示: where, what, the days it stayed up, and photos of it on the board."""

    village = forms.ModelChoiceField(label=_("village"), queryset=None)
    kind = forms.ChoiceField(label=_("kind"), choices=Disclosure.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=100)
    posted_from = forms.DateField(label=_("first day posted"), widget=DateInput)
    posted_until = forms.DateField(
        label=_("last day posted"),
        required=False,
        widget=DateInput,
        help_text=_("Empty while still posted."),
    )
    photos = MultipleFileField(
        label=_("photos"),
        required=False,
        help_text=_("Photos of the notice on the board (JPG, PNG, GIF, WebP), at most 10 MB each."),
    )

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
