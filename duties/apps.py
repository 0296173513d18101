from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from xigang.apps import BusinessApp


class DutiesConfig(BusinessApp, AppConfig):
    name = "duties"
    verbose_name = _("regulation and organisation")
