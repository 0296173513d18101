"""Messages (消息), digests, escalations, notice preferences and background jobs.

"Never the same item at the same level twice" is kept by unique constraints, not by checks in
Python: every writer inserts with conflicts ignored (or reads what exists first), so a second
run of the same day adds nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    """Who an item has reached: the person who answers for it, then up the line."""

    OWN = 0, _("own")
    VILLAGE = 1, _("village cadre in charge")
    LEADER = 2, _("town leadership")


class Notice(models.Model):
    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("due soon")
        OVERDUE = "overdue", _("newly overdue")
        ESCALATED = "escalated", _("escalated")
        PROBLEM_ROUTED = "problem_routed", _("problem routed to your department")
        FINDING_OPENED = "finding_opened", _("finding opened")
        PAIRING_ASSIGNED = "pairing_assigned", _("pairing assigned")
        PAIRING_ENDED = "pairing_ended", _("pairing ended")
        IMPORT_FINISHED = "import_finished", _("import finished")
        DIGEST = "digest", _("digest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What the message is about, stable across runs (an overdue item's rule, period and unit).
    key = models.CharField(_("item"), max_length=255)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, default=Level.OWN)
    text = models.CharField(_("text"), max_length=500)
    link = models.CharField(_("link"), max_length=300, blank=True)
    due = models.DateField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "key", "level"], name="notice_once_per_item_level"
            )
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_user_unread")]

    def __str__(self) -> str:
        return self.text


class Escalation(models.Model):
    """An overdue item gone up a level (to the village's 包村干部, then to 镇领导): once per level."""

    key = models.CharField(_("item"), max_length=255)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    village = models.CharField(_("village"), max_length=50, blank=True)
    text = models.CharField(_("text"), max_length=500)
    due = models.DateField(_("due"))
    escalated_on = models.DateField(_("escalated on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-escalated_on", "key"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["key", "level"], name="escalation_once_per_level")
        ]

    def __str__(self) -> str:
        return self.text


class Digest(models.Model):
    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("weekly digest")
        DAILY = "daily", _("daily digest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digests",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period = models.CharField(_("period"), max_length=10)  # 2026-W48 or 2026-11-30
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "period"], name="digest_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period}"


class DigestLine(models.Model):
    digest = models.ForeignKey(
        Digest, on_delete=models.CASCADE, related_name="lines", verbose_name=_("digest")
    )
    key = models.CharField(_("item"), max_length=255)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, default=Level.OWN)
    text = models.CharField(_("text"), max_length=500)
    due = models.DateField(_("due"))
    days_overdue = models.IntegerField(_("days overdue"), default=0)

    class Meta:
        ordering = ["-days_overdue", "due", "id"]
        verbose_name = _("digest line")
        verbose_name_plural = _("digest lines")
        constraints = [
            models.UniqueConstraint(fields=["digest", "key", "level"], name="digest_line_once")
        ]

    def __str__(self) -> str:
        return self.text


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Preference(models.Model):
    """How a person hears of their items: always as messages; by e-mail only to a verified
    address; the weekly digest on the weekday they choose."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notice_preference",
        verbose_name=_("user"),
    )
    by_email = models.BooleanField(_("send by e-mail"), default=False)
    by_sms = models.BooleanField(_("send a text message"), default=False)
    digest_weekday = models.PositiveSmallIntegerField(
        _("weekday of the digest"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    email_verified_at = models.DateTimeField(_("address verified at"), null=True, blank=True)
    code_hash = models.CharField(max_length=128, blank=True, editable=False)
    code_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(by_email=False) | (~Q(email="") & Q(email_verified_at__isnull=False)),
                name="preference_email_verified",
            )
        ]

    def __str__(self) -> str:
        return str(self.user)


class Job(models.Model):
    """Long work run by the worker, with its progress and result for the admin."""

    class Kind(models.TextChoices):
        LEDGER_IMPORT = "ledger_import", _("ledger import")
        GENERATION = "generation", _("obligation generation")
        DAY = "day", _("the day's messages and digests")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Set for work done once per key (the day's run: its date); blank for the rest.
    key = models.CharField(_("key"), max_length=100, blank=True)
    title = models.CharField(_("what"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    result = models.TextField(_("result"), blank=True)
    errors = models.TextField(_("errors"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"], condition=~Q(key=""), name="job_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return self.title
