from django import forms
from django.utils.translation import gettext_lazy as _

from notices.models import Weekday


class PreferenceForm(forms.Form):
    by_email = forms.BooleanField(label=_("send my digests by e-mail"), required=False)
    by_sms = forms.BooleanField(label=_("send a text message with each digest"), required=False)
    digest_weekday = forms.TypedChoiceField(
        label=_("weekday of the weekly digest"), choices=Weekday.choices, coerce=int
    )
    email = forms.EmailField(label=_("e-mail address"), required=False)


class ConfirmForm(forms.Form):
    code = forms.CharField(label=_("confirmation code"), max_length=6, min_length=6)
