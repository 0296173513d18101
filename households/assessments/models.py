"""A gap of 两不愁三保障: an item assessed as not met, routed to the department that answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from duties.models import Department
from households.models import Assessment, Household


def _evidence_path(gap: AssessmentGap, filename: str) -> str:
    return f"gaps/{gap.household_id}/{filename}"


class AssessmentGap(models.Model):
    """Opened by an assessment that finds an item not met; closed by its department with
    evidence, once a later assessment finds the item met (art. 38)."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="gaps", verbose_name=_("household")
    )
    item = models.CharField(_("item"), max_length=20, choices=Assessment.Item.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="gaps", verbose_name=_("routed to")
    )
    # RESTRICT: an assessment behind a gap is kept, unless its household goes with both.
    found_by = models.ForeignKey(
        Assessment,
        on_delete=models.RESTRICT,
        related_name="+",
        verbose_name=_("found by the assessment"),
    )
    found_on = models.DateField(_("found on"))
    due = models.DateField(_("due"))
    evidence = models.TextField(_("what was done"), blank=True)
    evidence_file = models.FileField(
        _("evidence file"), upload_to=_evidence_path, max_length=200, blank=True
    )
    evidence_name = models.CharField(_("file name"), max_length=200, blank=True)
    evidence_type = models.CharField(_("content type"), max_length=100, blank=True)
    closed_by = models.ForeignKey(
        Assessment,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("re-assessment that found it met"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("closed by"),
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True, editable=False)

    class Meta:
        ordering = ["due", "id"]
        verbose_name = _("两不愁三保障 gap")
        verbose_name_plural = _("两不愁三保障 gaps")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "item"],
                condition=Q(closed_at__isnull=True),
                name="assessment_gap_one_open",
            ),
            models.CheckConstraint(
                condition=Q(due__gte=models.F("found_on")), name="assessment_gap_due_after_found"
            ),
        ]
        indexes = [models.Index(fields=["department", "due"], name="assessment_gap_dept_due_idx")]

    def __str__(self) -> str:
        return f"{self.household.number} {self.get_item_display()}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
