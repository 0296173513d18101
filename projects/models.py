"""扶贫项目 and 扶贫资产 (arts. 10, 33, 35, 36): the project register with its funds, 公示 and
completion acceptance; the asset register with each year's 收益分配 and its 公示."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from duties.models import Department, StoredFile, Village


class Project(models.Model):
    """A poverty-alleviation project of a village, or of the town when `village` is empty."""

    class Kind(models.TextChoices):
        INDUSTRY = "产业", _("industry")
        INFRASTRUCTURE = "基础设施", _("infrastructure")
        PUBLIC_SERVICE = "公共服务", _("public service")
        OTHER = "其他", pgettext_lazy("project kind", "other")

    name = models.CharField(_("name"), max_length=100)
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("village"),
        help_text=_("Empty for a town-level project."),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("implementing unit"),
    )
    planned_start = models.DateField(_("planned start"))
    planned_finish = models.DateField(_("planned finish"))
    started_on = models.DateField(_("started on"), null=True, blank=True)
    finished_on = models.DateField(_("finished on"), null=True, blank=True)
    # Completion acceptance (验收): the typed date, and who recorded it when (the server's).
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    acceptance_note = models.TextField(_("acceptance note"), blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acceptance recorded by"),
    )
    accepted_at = models.DateTimeField(_("acceptance recorded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True, null=True)

    class Meta:
        ordering = ["-planned_start", "name", "id"]
        verbose_name = _("poverty-alleviation project")
        verbose_name_plural = _("poverty-alleviation projects")
        permissions = [("accept_project", _("Can record a project's completion acceptance"))]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "village"],
                nulls_distinct=False,
                name="project_unique_name_village",
            ),
            models.CheckConstraint(
                condition=Q(planned_finish__gte=F("planned_start")),
                name="project_planned_finish_after_start",
            ),
            models.CheckConstraint(
                condition=Q(finished_on__isnull=True)
                | Q(started_on__isnull=False, finished_on__gte=F("started_on")),
                name="project_finished_after_start",
            ),
            models.CheckConstraint(
                condition=Q(accepted_on__isnull=True)
                | Q(
                    finished_on__isnull=False,
                    accepted_on__gte=F("finished_on"),
                    accepted_at__isnull=False,
                ),
                name="project_accepted_after_finish",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village or _('town')} {self.name}"

    @property
    def start(self):  # noqa: ANN201 (a date)
        """The start the 公示 before it is owed against: the actual one once known."""
        return self.started_on or self.planned_start


class ProjectFund(models.Model):
    """The funds of a project from one source (yuan)."""

    class Source(models.TextChoices):
        SPECIAL = "财政专项", _("special fiscal funds")
        INTEGRATED = "整合资金", _("integrated funds")
        SOCIAL = "社会帮扶", _("social assistance")
        COLLECTIVE = "村集体自筹", _("raised by the village collective")
        OTHER = "其他", pgettext_lazy("fund source", "other")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="funds", verbose_name=_("project")
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["project", "source"]
        verbose_name = _("project fund")
        verbose_name_plural = _("project funds")
        constraints = [
            models.UniqueConstraint(fields=["project", "source"], name="project_fund_one_source"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="project_fund_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.amount}"


class Asset(models.Model):
    """An asset a project created (art. 33), kept in 经管站's ledger (art. 10)."""

    class Owner(models.TextChoices):
        VILLAGE = "村集体", _("village collective")
        TOWN = "镇集体", _("town collective")
        HOUSEHOLDS = "贫困户", _("poor households")
        OTHER = "其他", pgettext_lazy("asset owner", "other")

    name = models.CharField(_("name"), max_length=100)
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="assets", verbose_name=_("project")
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("village"),
        help_text=_("Empty for a town-level asset."),
    )
    owner = models.CharField(_("owner"), max_length=8, choices=Owner.choices)
    value = models.DecimalField(_("value (yuan)"), max_digits=14, decimal_places=2)
    manager = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="managed_assets",
        verbose_name=_("managed by"),
    )
    registered_on = models.DateField(_("registered on"))
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True, null=True)

    class Meta:
        ordering = ["village__name", "name", "id"]
        verbose_name = _("poverty-alleviation asset")
        verbose_name_plural = _("poverty-alleviation assets")
        constraints = [
            models.UniqueConstraint(
                fields=["name", "village"], nulls_distinct=False, name="asset_unique_name_village"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="asset_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.village or _('town')} {self.name}"


class Distribution(models.Model):
    """One year's 收益分配 of an asset: its income and what went to households."""

    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="distributions", verbose_name=_("asset")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    income = models.DecimalField(_("income (yuan)"), max_digits=14, decimal_places=2)
    distributed = models.DecimalField(
        _("distributed to households (yuan)"), max_digits=14, decimal_places=2
    )
    households = models.PositiveIntegerField(_("households receiving"))
    decided_on = models.DateField(_("decided on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["asset", "-year"]
        verbose_name = _("income distribution")
        verbose_name_plural = _("income distributions")
        constraints = [
            models.UniqueConstraint(fields=["asset", "year"], name="distribution_one_per_year"),
            models.CheckConstraint(
                condition=Q(income__gte=0, distributed__gte=0, distributed__lte=F("income")),
                name="distribution_within_income",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset} {self.year}"


class Notice(StoredFile):
    """A 公示 (art. 35) of a project before its start or after its completion, or of an
    asset's 收益分配: the day posted, and a photo or file of it, entered by the server."""

    class Stage(models.TextChoices):
        BEFORE_START = "before_start", _("before the start")
        AFTER_FINISH = "after_finish", _("after completion")
        DISTRIBUTION = "distribution", _("income distribution")

    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("project"),
    )
    distribution = models.ForeignKey(
        Distribution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("income distribution"),
    )
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    posted_on = models.DateField(_("first day posted"))

    class Meta:
        ordering = ["posted_on", "id"]
        verbose_name = _("project public notice (公示)")
        verbose_name_plural = _("project public notices (公示)")
        constraints = [
            models.CheckConstraint(
                condition=Q(stage="distribution", project__isnull=True, distribution__isnull=False)
                | Q(
                    stage__in=["before_start", "after_finish"],
                    project__isnull=False,
                    distribution__isnull=True,
                ),
                name="notice_one_parent_by_stage",
            ),
        ]
