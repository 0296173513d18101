from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from xigang.apps import BusinessApp


class HouseholdsConfig(BusinessApp, AppConfig):
    name = "households"
    verbose_name = _("household registry")
