from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from xigang.apps import BusinessApp


class OversightConfig(BusinessApp, AppConfig):
    name = "oversight"
    verbose_name = _("inspection and accountability")
