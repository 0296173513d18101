from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from xigang.apps import BusinessApp


class ProjectsConfig(BusinessApp, AppConfig):
    name = "projects"
    verbose_name = _("projects and assets")
