from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class XigangConfig(AppConfig):
    name = "xigang"
    verbose_name = _("Xigang portal")

    def ready(self) -> None:
        from xigang.roles import sync_groups

        # Permissions are created by post_migrate too; ours runs after (xigang is later in
        # INSTALLED_APPS than auth and contenttypes) and again after every flush.
        post_migrate.connect(sync_groups, sender=self, dispatch_uid="xigang.sync_groups")
