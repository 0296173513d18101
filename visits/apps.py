from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from xigang.apps import BusinessApp


class VisitsConfig(BusinessApp, AppConfig):
    name = "visits"
    verbose_name = _("pairing work")
