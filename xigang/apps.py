import gc
from importlib import import_module
from types import ModuleType

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

# The modules a business app may have, each registering what it brings with the core's
# registry: row filters (xigang.scope), obligation rules (xigang.obligations), ledger kinds
# (xigang.ledgers), demo data builders (xigang.demo).
PLUGIN_MODULES = ("scopes", "rules", "ledgers", "demo")


class BusinessApp:
    """Mixin for the AppConfig of an app of business data (`class XConfig(BusinessApp,
    AppConfig)`). Being one means: the change history records its models, the roles' "*" covers
    them, every model declares its row scope, and its plug-in modules are imported when the app
    is ready (the way the admin discovers `admin.py`). A mixin, not an AppConfig subclass, so
    that Django still finds the app's own config as the only one in its apps.py."""

    name: str
    module: ModuleType | None  # as AppConfig declares it

    def ready(self) -> None:
        super().ready()  # type: ignore[misc]
        for plugin in PLUGIN_MODULES:
            if module_has_submodule(self.module, plugin):
                import_module(f"{self.name}.{plugin}")


def business_apps() -> list[AppConfig]:
    return [config for config in apps.get_app_configs() if isinstance(config, BusinessApp)]


# A process keeping a county's answers holds ~350,000 long-lived objects, and at Python's default
# thresholds (700, 10, 10) each request computing a large answer also ran a full collection over
# them (150-300 ms of a county page's ~900): collected less often (benchmarks/README.md).
GC_THRESHOLDS = (50_000, 20, 100)


class XigangConfig(AppConfig):
    name = "xigang"
    verbose_name = _("Xigang portal")

    def ready(self) -> None:
        from xigang.kept import install_triggers
        from xigang.roles import sync_groups

        # Permissions are created by post_migrate too; ours runs after (xigang is later in
        # INSTALLED_APPS than auth and contenttypes) and again after every flush.
        post_migrate.connect(sync_groups, sender=self, dispatch_uid="xigang.sync_groups")
        # Every table, new ones included, notes its writes for the kept answers (xigang.kept).
        post_migrate.connect(install_triggers, sender=self, dispatch_uid="xigang.kept")
        gc.set_threshold(*GC_THRESHOLDS)
