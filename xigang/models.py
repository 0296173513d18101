"""Project-wide models: the change history and password history (docs/security.md).

The module also exists so that post_migrate reaches XigangConfig."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One recorded act on business data. Entries are only ever appended (xigang.history):
    each one's `hash` covers its content and the previous entry's hash, so editing or
    deleting any entry breaks the chain that `manage.py verify_history` checks."""

    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")
        READ = "read", _("read full ID numbers")
        EXPORT = "export", _("export")
        IMPORT = "import", _("import")
        RESET_OTP = "reset_otp", _("reset second factor")
        LOGOUT_ALL = "logout_all", _("end all sessions")
        GROUPS = "groups", _("change roles and posts")
        PERMS = "perms", _("change a role's permissions")
        ACCOUNT = "account", _("change an account")
        ISSUE_CODE = "issue_code", _("issue a one-time code")
        PASSWORD = "password", _("set a password")
        UNLOCK = "unlock", _("clear a sign-in lock")

    class Source(models.TextChoices):
        ADMIN = "admin", _("records screens")
        FORM = "form", _("portal form")
        LEDGER = "ledger", _("ledger import")
        COMMAND = "command", _("command")
        SYSTEM = "system", _("system")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # The user's id and name as text, not a foreign key: history outlives accounts, and a
    # cascade or SET_NULL would rewrite (and so break) the chain.
    actor_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    actor = models.CharField(_("user"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    model = models.CharField(_("record type"), max_length=100, db_index=True)
    object_pk = models.CharField(_("record id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    old = models.JSONField(_("old values"), null=True, blank=True)
    new = models.JSONField(_("new values"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    batch = models.CharField(_("import batch"), max_length=64, blank=True, db_index=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("change history entry")
        verbose_name_plural = _("change history")
        ordering = ["-id"]
        default_permissions = ("view",)  # nobody adds, changes or deletes history by hand
        indexes = [models.Index(fields=["model", "object_pk"], name="auditentry_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.model} {self.object_pk}"


class AccessCode(models.Model):
    """A one-time code with which a user sets their own password (and second factor): issued by
    a 系统管理员, shown once, given in person. Only its hash is kept (xigang.security.codes)."""

    class Purpose(models.TextChoices):
        ENROL = "enrol", _("enrolment")
        RESET = "reset", _("reset")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_codes"
    )
    purpose = models.CharField(_("purpose"), max_length=5, choices=Purpose.choices)
    code_hash = models.CharField(max_length=128)
    issued_by_id = models.BigIntegerField(null=True, blank=True)
    issued_by = models.CharField(_("issued by"), max_length=150)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    # A reset code redeemed for an account whose role needs a second factor and that had none:
    # whoever redeemed it may not enrol one until a 安全管理员 resets the factor (releases it).
    holds_factor = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        default_permissions = ()  # no screen: issued and redeemed through the services only
        indexes = [models.Index(fields=["user", "-issued_at"], name="accesscode_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.purpose} {self.issued_at:%Y-%m-%d %H:%M}"


class PasswordRecord(models.Model):
    """A password a user has set (its hash) and when: for "not one of the last 5" and for
    "changed every 90 days"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_records"
    )
    password = models.CharField(max_length=128)
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("password record")
        verbose_name_plural = _("password records")
        ordering = ["-set_at", "-id"]
        indexes = [models.Index(fields=["user", "-set_at"], name="passwordrecord_user_idx")]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.user_id} {self.set_at:%Y-%m-%d}"


class LedgerImport(models.Model):
    """One ledger import that wrote rows: which ledger, which file, who, when. The records it
    created point to it (`imported_in`), so that lists, pages and exports mark them 导入 and
    inspectors tell them from live entries."""

    kind = models.CharField(_("ledger"), max_length=50)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
        editable=False,
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now, editable=False)
    # The change history's batch of the same import (its rows' entries carry it).
    batch = models.CharField(_("import batch"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")
        ordering = ["-imported_at", "-id"]
        default_permissions = ("view",)  # written by the ledger engine only

    def __str__(self) -> str:
        return f"{self.kind} 「{self.file_name}」 {self.imported_at:%Y-%m-%d %H:%M}"


def imported_in_field() -> models.ForeignKey:
    """The field of a record that carries the import that created it (None: entered live)."""
    return models.ForeignKey(
        LedgerImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported in"),
        editable=False,
    )


def import_mark_of(file_name: str | None, imported_at: datetime.datetime | None) -> str:
    """The 导入 mark of a record created by the import of `file_name` at `imported_at`, as lists
    and exports show it; "" for a live entry (no import)."""
    if imported_at is None:
        return ""
    return gettext("imported 「%(file)s」 %(when)s") % {
        "file": file_name or "",
        "when": timezone.localtime(imported_at).strftime("%Y-%m-%d %H:%M"),
    }


def import_mark(ledger_import: LedgerImport | None) -> str:
    """A record's 导入 mark from its `imported_in`."""
    if ledger_import is None:
        return ""
    return import_mark_of(ledger_import.file_name, ledger_import.imported_at)


class Installation(models.Model):
    """The day the portal was installed (the first migrate), the default go-live date
    (xigang/entry.py). One row, written by the migration that creates the table."""

    installed_on = models.DateField(_("installed on"))

    class Meta:
        verbose_name = _("installation")
        verbose_name_plural = _("installations")
        default_permissions = ()  # no screen: written once by its migration

    def __str__(self) -> str:
        return self.installed_on.isoformat()


class Change(models.Model):
    """A write noted by a database trigger on a business table (xigang.kept): a table's version
    is the sum of `n` over its rows. Written only by the triggers and the nightly compaction.
    A row with `household` notes the rows of that household written (0: rows of none, or of
    every one), for the versions of a reach of a few households; without, the whole table's."""

    table = models.CharField(max_length=63)
    n = models.BigIntegerField(default=1)
    household = models.BigIntegerField(null=True)

    class Meta:
        default_permissions = ()  # no screen
        indexes = [
            models.Index(
                fields=["table", "n"],
                name="change_table_n_idx",
                condition=models.Q(household__isnull=True),
            ),
            models.Index(
                fields=["household", "table", "n"],
                name="change_household_idx",
                condition=models.Q(household__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.table} +{self.n}"
