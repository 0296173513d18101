"""The scheduled duties (arts. 3-31, 33-36): schedules, obligations, evidence, 公示, and how
far obligations have been generated."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from duties.models.organisation import Department, Duty, Village


class DutySchedule(models.Model):
    """When a duty falls due and what proves it, from `effective_from` on (art. 44).

    A change is a new row with a later `effective_from`: the periods that start before it stay
    with the older row, so past obligations are never rewritten. A period belongs to the
    schedule in force on its first day."""

    class Frequency(models.TextChoices):
        ONCE = "once", _("once")
        MONTHLY = "monthly", _("monthly")
        QUARTERLY = "quarterly", _("quarterly")
        HALF_YEARLY = "half-yearly", _("half-yearly")
        YEARLY = "yearly", _("yearly")
        ON_EVENT = "on-event", _("on an event")

    duty = models.ForeignKey(
        Duty, on_delete=models.CASCADE, related_name="schedules", verbose_name=_("duty")
    )
    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices)
    due_day = models.PositiveSmallIntegerField(
        _("due day"),
        null=True,
        blank=True,
        help_text=_(
            "The day of the period by which it is due, counted from the period's first day "
            "(1 = the first day); empty = the period's last day."
        ),
    )
    evidence = models.TextField(_("evidence expected"))
    effective_from = models.DateField(_("effective from"))
    reason = models.CharField(_("why this schedule"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        ordering = ["duty__article_id", "duty__clause", "effective_from"]
        verbose_name = _("duty schedule")
        verbose_name_plural = _("duty schedules")
        constraints = [
            models.UniqueConstraint(
                fields=["duty", "effective_from"], name="duty_schedule_unique_date"
            ),
            models.CheckConstraint(
                condition=Q(due_day__isnull=True) | Q(due_day__gte=1),
                name="duty_schedule_due_day_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.duty_id} {self.get_frequency_display()} ({self.effective_from})"


# An obligation or a piece of evidence answers to exactly one unit / one parent.
_ONE_UNIT = Q(department__isnull=False, village__isnull=True) | Q(
    department__isnull=True, village__isnull=False
)


class Obligation(models.Model):
    """One period of a scheduled duty for one responsible unit (a department or a village)."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("obligation status", "open")
        DONE = "done", pgettext_lazy("obligation status", "done")
        WAIVED = "waived", pgettext_lazy("obligation status", "waived")

    schedule = models.ForeignKey(
        DutySchedule,
        on_delete=models.PROTECT,
        related_name="obligations",
        verbose_name=_("schedule"),
    )
    duty = models.ForeignKey(
        Duty, on_delete=models.PROTECT, related_name="obligations", verbose_name=_("duty")
    )
    period_label = models.CharField(_("period"), max_length=12)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due = models.DateField(pgettext_lazy("obligation", "due"), db_index=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
        verbose_name=_("department"),
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
        verbose_name=_("village"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    note = models.TextField(_("note"), blank=True)
    event_description = models.CharField(
        _("event"),
        max_length=200,
        blank=True,
        help_text=_(
            "What happened, for an obligation opened by an event of an on-event duty; empty "
            "for the calendar periods."
        ),
    )
    waived_reason = models.TextField(_("reason for waiving"), blank=True)
    waived_at = models.DateTimeField(_("waived at"), null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("waived by"),
    )

    class Meta:
        ordering = ["due", "duty__article_id", "duty__clause", "id"]
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        permissions = [
            ("waive_obligation", _("Can waive an obligation")),
            ("record_event_obligation", _("Can record the event behind an on-event duty")),
        ]
        constraints = [
            models.CheckConstraint(condition=_ONE_UNIT, name="obligation_one_unit"),
            # Generation is idempotent: one row per duty, period and unit.
            models.UniqueConstraint(
                fields=["duty", "period_start", "department"],
                condition=Q(department__isnull=False),
                name="obligation_unique_department_period",
            ),
            models.UniqueConstraint(
                fields=["duty", "period_start", "village"],
                condition=Q(village__isnull=False),
                name="obligation_unique_village_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="obligation_period_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_at__isnull=False),
                name="obligation_done_has_completion",
            ),
            models.CheckConstraint(
                condition=~Q(status="waived") | (Q(waived_at__isnull=False) & ~Q(waived_reason="")),
                name="obligation_waived_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due"], condition=Q(status="open"), name="obligation_open_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.duty.article_id}.{self.duty.clause} {self.period_label}"

    @property
    def unit(self) -> Department | Village | None:
        return self.department or self.village

    def is_overdue(self, as_of: datetime.date) -> bool:
        """Pure arithmetic on the row: unfinished and its due date has passed."""
        return self.status == self.Status.OPEN and self.due < as_of


class Disclosure(models.Model):
    """A 公示 posted by a village (art. 35), with the first and last day it stayed up."""

    class Kind(models.TextChoices):
        IDENTIFICATION = "贫困识别", _("identification of poor households")
        EXIT = "贫困退出", _("exit from poverty")
        FUNDS = "资金安排", _("use of funds")
        PROJECTS = "项目建设与实施", _("project construction and implementation")
        DIVIDENDS = "收益分红", _("income and dividends")

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="disclosures", verbose_name=_("village")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(pgettext_lazy("notice", "title"), max_length=100)
    posted_from = models.DateField(_("first day posted"))
    posted_until = models.DateField(
        _("last day posted"), null=True, blank=True, help_text=_("Empty while still posted.")
    )
    days_posted = models.PositiveSmallIntegerField(_("days posted"), null=True, blank=True)
    # What the photos prove (docs/design.md, "公示 with proof"), set by the service on each save:
    # the first day, and once taken down the days, never more than first established.
    proven_from = models.DateField(_("first day proven"), null=True, blank=True)
    days_proven = models.PositiveSmallIntegerField(_("days proven"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("disclosure", "recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        ordering = ["-posted_from", "id"]
        verbose_name = _("public notice (公示)")
        verbose_name_plural = _("public notices (公示)")
        constraints = [
            models.CheckConstraint(
                condition=Q(posted_until__isnull=True)
                | Q(posted_until__gte=models.F("posted_from")),
                name="disclosure_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(posted_until__isnull=True, days_posted__isnull=True)
                | Q(posted_until__isnull=False, days_posted__gte=1),
                name="disclosure_days_posted_iff_ended",
            ),
            models.CheckConstraint(
                condition=Q(posted_until__isnull=True, days_proven__isnull=True)
                | Q(posted_until__isnull=False, days_proven__isnull=False),
                name="disclosure_days_proven_iff_ended",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.kind} {self.posted_from}"


def _evidence_path(instance: "StoredFile", filename: str) -> str:
    """Under MEDIA_ROOT/evidence/, which no URL serves: files go out only through the
    scope-checked download view. The stored name is random; the user's name is kept apart."""
    import uuid

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evidence/{uuid.uuid4().hex}.{suffix}"


class StoredFile(models.Model):
    """An uploaded file kept as proof (evidence, a project's 公示): the user's file name, the
    type read from its content, the author and the entry time the server sets. Stored under
    MEDIA_ROOT/evidence/, which no URL serves: files leave only through scope-checked views."""

    file = models.FileField(_("file"), upload_to=_evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name


class Evidence(StoredFile):
    """A file that proves an obligation was met, or a photo of a 公示 on the board when it was
    posted or after it was taken down; its entry time and author are the server's."""

    class Moment(models.TextChoices):
        POSTED = "posted", _("when posted")
        TAKEN_DOWN = "taken_down", _("when taken down")

    obligation = models.ForeignKey(
        Obligation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("obligation"),
    )
    disclosure = models.ForeignKey(
        Disclosure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("public notice (公示)"),
    )
    # A 公示 photo's moment; empty for an obligation's evidence and for 公示 photos stored
    # before the moment was asked (not used as proof).
    moment = models.CharField(
        _("photo of the notice"), max_length=10, choices=Moment.choices, blank=True
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=Q(obligation__isnull=False, disclosure__isnull=True)
                | Q(obligation__isnull=True, disclosure__isnull=False),
                name="evidence_one_parent",
            ),
            models.CheckConstraint(
                condition=Q(obligation__isnull=True) | Q(moment=""),
                name="evidence_moment_only_for_disclosures",
            ),
        ]


class GenerationMark(models.Model):
    """How far obligations have been generated, and from which schedules and villages: they
    are counted, so that adding, removing or editing one shows as a change.

    Lets the overdue rule check in three small queries that nothing is missing before it reads."""

    through = models.DateField()
    schedule_count = models.PositiveIntegerField()
    schedule_last_pk = models.PositiveIntegerField(null=True)
    schedule_last_recorded_at = models.DateTimeField(null=True)
    village_count = models.PositiveIntegerField()
    village_last_pk = models.PositiveIntegerField(null=True)

    class Meta:
        verbose_name = _("obligation generation mark")
        verbose_name_plural = _("obligation generation marks")

    def __str__(self) -> str:
        return (
            f"{self.through} schedules {self.schedule_count} (last {self.schedule_last_pk}, "
            f"{self.schedule_last_recorded_at}) villages {self.village_count} "
            f"(last {self.village_last_pk})"
        )
