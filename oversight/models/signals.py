"""疑点 signals (art. 41: 弄虚作假搞"数字脱贫") and spot checks (抽查, arts. 5, 41)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from duties.models import Cadre, Department, Village
from households.models import Household
from visits.models import Visit


class Signal(models.Model):
    """Something in the records that looks made up, for an inspector to look into. Computed
    by `oversight.signals.compute_signals` (a daily job), one row per kind and key (a person
    and a period), never per page."""

    class Kind(models.TextChoices):
        COPIED = "copied", _("copied visit content")
        BURST = "burst", _("burst of back-filled visits")
        BUNCHED = "bunched", _("visits bunched on a period's last days")
        AFTER_OVERDUE = "after_overdue", _("visits entered after the overdue list named them")
        NO_PHONE = "no_phone", _("phone contact with a household that has no phone")
        SPOT_CHECK = "spot_check", _("records contradicted by a spot check")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DISMISSED = "dismissed", _("dismissed")
        FINDING = "finding", _("finding opened")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=100)
    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village"),
    )
    period = models.CharField(_("period"), max_length=10)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    score = models.FloatField(_("score"))
    # [{"id": str, "visits": [visit ids], "similarity": int?, "note": str?, "answer": id?}]
    evidence = models.JSONField(_("evidence"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    reason = models.TextField(_("reason dismissed"), blank=True)
    finding = models.ForeignKey(
        "oversight.Finding",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("finding"),
    )
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )

    class Meta:
        ordering = ["-score", "id"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="signal_one_per_kind_key"),
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(reason=""), name="signal_dismissed_reason"
            ),
        ]
        indexes = [models.Index(fields=["status", "-score"], name="signal_status_score_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.cadre} {self.period}"


class SignalRun(models.Model):
    """One run of the signals job: the visits it has read, so the next run reads only newer."""

    ran_at = models.DateTimeField(_("ran at"), auto_now_add=True)
    last_visit_id = models.BigIntegerField(_("last visit read"))
    visits_read = models.PositiveIntegerField(_("visits read"))
    signals_written = models.PositiveIntegerField(_("signals written"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("signals run")
        verbose_name_plural = _("signals runs")

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M} ≤{self.last_visit_id}"


class ContentPrint(models.Model):
    """A visit text's MinHash bands (locality-sensitive hashing): two texts that share a band
    are candidates for copying, checked by their edit distance. Stored, so a daily run hashes
    only the day's visits and looks the rest up by index."""

    derived = True  # recomputed from the visit's text: no change history (xigang.history)

    BANDS = 8
    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, primary_key=True)
    band0 = models.BigIntegerField(db_index=True)
    band1 = models.BigIntegerField(db_index=True)
    band2 = models.BigIntegerField(db_index=True)
    band3 = models.BigIntegerField(db_index=True)
    band4 = models.BigIntegerField(db_index=True)
    band5 = models.BigIntegerField(db_index=True)
    band6 = models.BigIntegerField(db_index=True)
    band7 = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = _("visit text print")
        verbose_name_plural = _("visit text prints")

    def __str__(self) -> str:
        return str(self.visit_id)


class SpotCheck(models.Model):
    """A random sample of households (抽查) by village or by cadre, drawn with a recorded seed
    so that the same draw can be repeated; each household's answers compared with the records
    of the quarter asked about."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("checking unit")
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
    drawn_on = models.DateField(_("drawn on"))
    period = models.CharField(_("quarter asked about"), max_length=10)
    period_start = models.DateField(_("quarter start"))
    period_end = models.DateField(_("quarter end"))
    size = models.PositiveSmallIntegerField(_("sample size"))
    seed = models.BigIntegerField(_("seed"))
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("drawn by"),
    )

    class Meta:
        ordering = ["-drawn_on", "-id"]
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        constraints = [
            models.CheckConstraint(
                condition=Q(village__isnull=False, cadre__isnull=True)
                | Q(village__isnull=True, cadre__isnull=False),
                name="spotcheck_village_or_cadre",
            ),
            models.CheckConstraint(condition=Q(size__gte=1), name="spotcheck_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.drawn_on} {self.village or self.cadre} {self.period}"


class SpotCheckAnswer(models.Model):
    """What one drawn household said, and where it contradicts the records."""

    class Visited(models.TextChoices):
        YES = "yes", _("yes")
        NO = "no", _("no")
        UNSURE = "unsure", _("does not remember")

    spot_check = models.ForeignKey(
        SpotCheck, on_delete=models.CASCADE, related_name="answers", verbose_name=_("spot check")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    position = models.PositiveSmallIntegerField(_("position in the sample"))
    visited = models.CharField(
        _("visited at home this quarter"), max_length=10, choices=Visited.choices, blank=True
    )
    visitor = models.CharField(_("visited by (as the household says)"), max_length=50, blank=True)
    knows_name = models.BooleanField(_("knows the cadre's name"), null=True, blank=True)
    knows_phone = models.BooleanField(_("knows the cadre's phone"), null=True, blank=True)
    food = models.BooleanField(_("enough to eat"), null=True, blank=True)
    clothing = models.BooleanField(_("enough to wear"), null=True, blank=True)
    education = models.BooleanField(_("children in school"), null=True, blank=True)
    medical = models.BooleanField(_("basic medical care"), null=True, blank=True)
    housing = models.BooleanField(_("safe housing"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # [{"item": str, "records": str, "household": str}]: filled when the answer is recorded.
    mismatches = models.JSONField(_("mismatches"), default=list, blank=True)
    answered_at = models.DateTimeField(_("entered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )

    class Meta:
        ordering = ["spot_check_id", "position"]
        verbose_name = _("spot check answer")
        verbose_name_plural = _("spot check answers")
        constraints = [
            models.UniqueConstraint(
                fields=["spot_check", "household"], name="spotcheck_household_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.spot_check_id}/{self.position} {self.household_id}"
