"""Oversight (arts. 41-43): inspections, their findings, accountability and commendations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from duties.models import Article, Cadre, Department, Village

# A finding, an accountability decision or a commendation names exactly one subject.
_ONE_SUBJECT = (
    Q(department__isnull=False, village__isnull=True, cadre__isnull=True)
    | Q(department__isnull=True, village__isnull=False, cadre__isnull=True)
    | Q(department__isnull=True, village__isnull=True, cadre__isnull=False)
)


class Subject(models.Model):
    """The unit or person a record is about: a department, a village or a cadre."""

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village"),
    )
    cadre = models.ForeignKey(
        Cadre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cadre"),
    )

    class Meta:
        abstract = True

    @property
    def subject(self) -> Department | Village | Cadre | None:
        return self.department or self.village or self.cadre


class Inspection(models.Model):
    """A special inspection (专项检查, art. 41) by 镇纪委, 督查科 or both."""

    class Kind(models.TextChoices):
        SPECIAL = "专项检查", _("special inspection")
        SPOT = "随机抽查", _("spot check")
        SUPERVISION = "督导检查", _("supervisory check")

    title = models.CharField(pgettext_lazy("inspection", "title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SPECIAL)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("inspecting unit"),
    )
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    focus = models.TextField(_("focus"), blank=True)
    villages = models.ManyToManyField(
        Village, blank=True, related_name="+", verbose_name=_("villages inspected")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-started_on", "id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="inspection_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.started_on} {self.title}"


class Finding(Subject):
    """A problem an inspection found, to be rectified by its subject by a deadline."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="findings", verbose_name=_("inspection")
    )
    article = models.ForeignKey(
        Article, on_delete=models.PROTECT, related_name="+", verbose_name=_("article breached")
    )
    description = models.TextField(_("description"))
    found_on = models.DateField(_("found on"))
    deadline = models.DateField(_("rectify by"))
    # 整改销号: the day the inspecting unit verified the rectification and closed the finding.
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True)
    rectification = models.TextField(_("what was rectified"), blank=True)
    report_file = models.FileField(
        _("rectification evidence"), upload_to="findings/%Y/%m/", blank=True
    )
    reported_at = models.DateTimeField(_("report entered at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("report entered by"),
    )
    # What a 疑点 signal showed when the finding was opened from it: kept if the signal changes.
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True, null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # Set by the server when the rectification is first entered, never by anyone.
    rectified_at = models.DateTimeField(
        _("rectification entered at"), null=True, blank=True, editable=False
    )
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("rectification entered by"),
    )

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        # the unit or person found reports the rectification; only inspectors change a finding
        permissions = [("report_finding", "Can report the rectification of a finding")]
        constraints = [
            models.CheckConstraint(condition=_ONE_SUBJECT, name="finding_one_subject"),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("found_on")), name="finding_deadline_after_found"
            ),
            models.CheckConstraint(
                condition=Q(rectified_on__isnull=True) | Q(rectified_on__gte=models.F("found_on")),
                name="finding_rectified_after_found",
            ),
        ]
        indexes = [
            models.Index(
                fields=["deadline"],
                condition=Q(rectified_on__isnull=True),
                name="finding_open_deadline_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject}: {self.description[:30]}"


class FindingExtension(models.Model):
    """A finding's deadline moved later, with the reason (the finding keeps the new one)."""

    finding = models.ForeignKey(
        Finding, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("finding")
    )
    previous_deadline = models.DateField(_("previous deadline"))
    deadline = models.DateField(_("new deadline"))
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["finding_id", "created_at", "id"]
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("previous_deadline")),
                name="extension_moves_deadline_later",
            )
        ]

    def __str__(self) -> str:
        return f"{self.previous_deadline} → {self.deadline}"


class Accountability(Subject):
    """A decision holding a unit or person to account (art. 43)."""

    class Measure(models.TextChoices):
        EDUCATION = "批评教育", _("criticism and education")
        ADMONITION = "诫勉谈话", _("admonishment talk")
        CIRCULAR = "通报批评", _("circulated criticism")
        APOLOGY = "责令公开道歉", _("ordered public apology")
        TRANSFER = "调离岗位", _("transfer from post")
        DISMISSAL = "免职", _("dismissal")
        DISCIPLINE = "党纪政纪处分", _("Party or administrative discipline")

    finding = models.ForeignKey(
        Finding,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accountabilities",
        verbose_name=_("finding"),
    )

    class Severity(models.TextChoices):
        MINOR = "情节较轻", _("minor")
        SERIOUS = "情节较重", _("serious")
        GRAVE = "情节严重", _("grave")

    # Art. 43's ladder: the measures for each severity, lighter first. 党纪政纪处分 is no step
    # of it: it is referred on top of a measure, as the relevant rules provide.
    LADDER: dict[str, tuple[str, str]] = {
        Severity.MINOR: (Measure.EDUCATION, Measure.ADMONITION),
        Severity.SERIOUS: (Measure.CIRCULAR, Measure.APOLOGY),
        Severity.GRAVE: (Measure.TRANSFER, Measure.DISMISSAL),
    }

    measure = models.CharField(_("measure"), max_length=10, choices=Measure.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    # 从重 (art. 43's last sentence): the case came out of an inspection, so the heavier measure
    # of the severity's step applies.
    aggravated = models.BooleanField(_("heavier measure (found by inspection)"), default=False)
    decided_on = models.DateField(_("decided on"))
    reason = models.TextField(_("reason"))
    referred_on = models.DateField(
        _("referred for Party or administrative discipline on"), null=True, blank=True
    )
    referral = models.TextField(_("discipline referral (to whom, what)"), blank=True)
    # The 5.3 通报 obligation of 组织科 that recording this decision opened.
    obligation = models.ForeignKey(
        "duties.Obligation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("circular obligation (5.3)"),
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True, null=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-decided_on", "id"]
        verbose_name = _("accountability decision")
        verbose_name_plural = _("accountability decisions")
        constraints = [
            models.CheckConstraint(condition=_ONE_SUBJECT, name="accountability_one_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.measure}"


class Commendation(Subject):
    """Praise for a unit or person whose work was effective (art. 42)."""

    reason = models.TextField(_("reason"))
    awarded_on = models.DateField(_("awarded on"))

    class Meta:
        ordering = ["-awarded_on", "id"]
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")
        constraints = [
            models.CheckConstraint(condition=_ONE_SUBJECT, name="commendation_one_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.awarded_on}"
