"""What pairing cadres do (arts. 38-40): visits, problems routed to departments, 救急难."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from duties.models import Article, Cadre, Department
from households.models import Household
from xigang.models import imported_in_field


class Visit(models.Model):
    class Kind(models.TextChoices):
        HOME = "入户", _("home visit")
        PHONE = "电话", _("phone call")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="visits", verbose_name=_("household")
    )
    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="visits", verbose_name=_("pairing cadre")
    )
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices)
    on = models.DateField(_("date"))
    content = models.TextField(_("what was discussed or done"), blank=True)
    problems_found = models.TextField(_("problems found"), blank=True)
    # The household's 两不愁三保障 changed: it owes a re-assessment (households.assessments).
    reports_change = models.BooleanField(
        _("两不愁三保障 changed, to be re-assessed"), default=False
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True, editable=False)
    # The ledger import that created it (None: entered live) and, for a visit of history by
    # someone not paired with the household that day, why it does not count for art. 39.
    imported_in = imported_in_field()
    not_counted = models.CharField(
        _("does not count for art. 39, because"), max_length=300, blank=True, editable=False
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("entered by"),
    )
    # 补录: entered more than the days in force after its date; set by the server at entry.
    late_entry = models.BooleanField(_("late entry (补录)"), default=False, editable=False)
    late_reason = models.TextField(
        _("why 扶贫办 accepted the late entry"), blank=True, editable=False
    )

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        permissions = [("accept_late_visit", _("Can accept a late visit for a closed month"))]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "cadre", "kind", "on"],
                name="visit_unique_per_day",
                violation_error_message=_(
                    "this contact is already recorded: one visit of a kind per household, "
                    "cadre and day"
                ),
            )
        ]
        indexes = [
            models.Index(fields=["household", "on"], name="visit_household_on_idx"),
            # The visit rules ask "which households had a visit in this period": a range of
            # days, answered from the index alone.
            models.Index(fields=["on", "kind", "household", "cadre"], name="visit_on_kind_idx"),
            # assessment.due asks which households had a visit reporting a change in a range
            # of days: a few rows (`on` first, or SQLite prefers visit_on_kind_idx).
            models.Index(
                fields=["on", "household"],
                condition=Q(reports_change=True),
                name="visit_change_idx",
            ),
            # The 补录 are few: the whole-town page counts them without reading every visit.
            models.Index(fields=["on"], name="visit_late_on_idx", condition=Q(late_entry=True)),
        ]

    def __str__(self) -> str:
        return f"{self.household.number} {self.kind} {self.on}"


class ProblemCategory(models.Model):
    """Which department answers for a kind of problem, under which article (editable data)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    article = models.ForeignKey(
        Article, on_delete=models.PROTECT, related_name="+", verbose_name=_("article")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("problem category")
        verbose_name_plural = _("problem categories")

    def __str__(self) -> str:
        return self.name


class Problem(models.Model):
    """A problem found on a visit, routed to the department that answers for it."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="problems", verbose_name=_("household")
    )
    visit = models.ForeignKey(
        Visit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name=_("visit"),
    )
    category = models.ForeignKey(
        ProblemCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="problems", verbose_name=_("routed to")
    )
    description = models.TextField(_("description"))
    found_on = models.DateField(_("found on"))
    due = models.DateField(_("due"))
    reported_by = models.ForeignKey(
        Cadre,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_problems",
        verbose_name=_("reported by"),
    )
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolution = models.TextField(_("what was done"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(
        _("resolution entered at"), null=True, blank=True, editable=False
    )
    # Null on the rows entered before entry times were kept.
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True, null=True, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("entered by"),
    )

    class Meta:
        ordering = ["due", "id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        constraints = [
            models.CheckConstraint(
                condition=Q(due__gte=models.F("found_on")), name="problem_due_after_found"
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=models.F("found_on")),
                name="problem_resolved_after_found",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "due"], name="problem_department_due_idx"),
            models.Index(
                fields=["due"], condition=Q(resolved_on__isnull=True), name="problem_open_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household.number} {self.category}"


class EmergencyCase(models.Model):
    """救急难 (art. 40): a sudden large expense; ledger entry and aid owed within days."""

    class Cause(models.TextChoices):
        ILLNESS = "因病", _("illness")
        DISASTER = "因灾", _("disaster")
        ACCIDENT = "意外", _("accident")
        OTHER = "其他", _("other")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="emergencies", verbose_name=_("household")
    )
    cadre = models.ForeignKey(
        Cadre,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emergencies",
        verbose_name=_("pairing cadre"),
    )
    cause = models.CharField(_("cause"), max_length=4, choices=Cause.choices)
    description = models.TextField(_("description"), blank=True)
    expense = models.DecimalField(_("expense (yuan)"), max_digits=10, decimal_places=2)
    occurred_on = models.DateField(_("date of the event"))
    reported_on = models.DateField(_("reported on"))
    aided_on = models.DateField(_("aid given on"), null=True, blank=True)
    aid_amount = models.DecimalField(
        _("aid (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    # Null on the rows entered before entry times were kept.
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True, null=True, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("entered by"),
    )
    # Entered into the ledger after the aid was due (art. 40, "及时建立台账"); set at entry.
    late_entry = models.BooleanField(_("late entry (补录)"), default=False, editable=False)
    aided_at = models.DateTimeField(_("aid entered at"), null=True, blank=True, editable=False)
    aided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("aid entered by"),
    )

    class Meta:
        ordering = ["-reported_on", "id"]
        verbose_name = _("emergency case")
        verbose_name_plural = _("emergency cases")
        constraints = [
            models.CheckConstraint(
                condition=Q(aided_on__isnull=True) | Q(aided_on__gte=models.F("reported_on")),
                name="emergency_aid_after_report",
            ),
            models.CheckConstraint(
                condition=Q(reported_on__gte=models.F("occurred_on")),
                name="emergency_reported_after_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household.number} {self.cause} {self.reported_on}"


class VisitState(models.Model):
    """One owed period of a visit rule for a household (issue 18): the engine's answer kept
    instead of recomputed, by `visits.state.refresh` in the transaction of every write that can
    change it. The rules read it (`visits.rules`); `check_obligations` compares it with the
    engine. Met as of a day: met by history (`first_on` before go-live) or `met_at` before the
    end of that day, so that past as-of lists stay exact."""

    derived = True  # recomputed from visits and pairings: no change history (xigang.history)

    rule = models.CharField(_("rule"), max_length=40)
    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint leads with it
        verbose_name=_("household"),
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    # Attributed: the cadre paired on the period's last day.
    cadre = models.ForeignKey(
        Cadre, on_delete=models.CASCADE, null=True, related_name="+", verbose_name=_("cadre")
    )
    # The earliest visit meeting the period: its date, entry time and 补录 mark.
    first_on = models.DateField(_("first met on"), null=True)
    met_at = models.DateTimeField(_("met, entered at"), null=True)
    met_late = models.BooleanField(_("met by a late entry"), default=False)

    class Meta:
        verbose_name = _("visit obligation state")
        verbose_name_plural = _("visit obligation states")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "rule", "period_start"], name="visit_state_unique"
            )
        ]
        indexes = [
            # Today's lists read the open rows only (~7% of them at county scale).
            models.Index(
                fields=["rule", "period_start", "household", "cadre"],  # covering the list's read
                condition=Q(met_at__isnull=True),
                name="visit_state_open_idx",
            ),
            # A past as-of day adds the rows met after it. Partial, so that no planner walks it
            # for the open rows (met_at IS NULL) instead of the index above.
            models.Index(
                fields=["rule", "met_at"],
                condition=Q(met_at__isnull=False),
                name="visit_state_met_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.household_id} {self.period_start}"


class VisitStateBuilt(models.Model):
    """What `VisitState` covers for a rule: the periods of `steps` (the rule's calendar when it
    was built, JSON) from `first` to `through`. A list outside it, or under another calendar,
    is computed by the engine."""

    derived = True  # recomputed from visits and pairings: no change history (xigang.history)

    rule = models.CharField(_("rule"), max_length=40, unique=True)
    steps = models.TextField(_("calendar"))
    first = models.DateField(_("first period start"))
    through = models.DateField(_("last period end"))
    built_at = models.DateTimeField(_("built at"), auto_now=True)

    class Meta:
        verbose_name = _("visit obligation state built")
        verbose_name_plural = _("visit obligation states built")

    def __str__(self) -> str:
        return f"{self.rule} {self.first}..{self.through}"
