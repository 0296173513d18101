from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "xigang.security"
    label = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from xigang import history
        from xigang.security import sessions
        from xigang.security.middleware import start_session_clock

        history.connect()
        sessions.connect()
        user_logged_in.connect(start_session_clock, dispatch_uid="xigang.session_clock")
