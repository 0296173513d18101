from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "xigang.security"
    label = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks

        from xigang import history
        from xigang.security import sessions
        from xigang.security.middleware import start_session_clock

        history.connect()
        sessions.connect()
        user_logged_in.connect(start_session_clock, dispatch_uid="xigang.session_clock")
        checks.register(history_key_check, checks.Tags.security, deploy=True)


def history_key_check(app_configs=None, **kwargs):
    """In production the history's anchor key must not be derivable from SECRET_KEY alone."""
    from django.conf import settings
    from django.core import checks

    if getattr(settings, "HISTORY_KEY_FROM_ENV", False):
        return []
    return [
        checks.Warning(
            "XIGANG_HISTORY_KEY is not set: the history anchors are signed with a key derived "
            "from SECRET_KEY.",
            id="xigang.W001",
        )
    ]
