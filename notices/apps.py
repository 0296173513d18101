from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from xigang.apps import BusinessApp


class NoticesConfig(BusinessApp, AppConfig):
    name = "notices"
    verbose_name = _("messages and jobs")

    def ready(self) -> None:
        super().ready()
        # Events of other apps (a problem routed, a finding opened, a pairing) become messages.
        from notices import events

        events.connect()
