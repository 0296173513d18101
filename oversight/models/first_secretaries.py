"""The 第一书记 register (art. 5): who serves in which village, sent by whom, and 组织科's
定期调度 and 随机抽查 of them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from duties.models import Cadre, Department, Village


class FirstSecretary(models.Model):
    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="+", verbose_name=_("first secretary")
    )
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    sending_unit = models.CharField(_("sending unit"), max_length=100)
    started_on = models.DateField(_("first day"))
    ended_on = models.DateField(_("last day"), null=True, blank=True)
    # The unit that manages them (组织科, art. 5): it keeps the register and reads it whole.
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("managed by")
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["village__name", "-started_on"]
        verbose_name = _("first secretary")
        verbose_name_plural = _("first secretaries")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="first_secretary_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.cadre}"


class FirstSecretaryCheck(models.Model):
    """组织科's 定期调度 (regular dispatch) or 随机抽查 (spot check) of one 第一书记."""

    class Kind(models.TextChoices):
        DISPATCH = "定期调度", _("regular dispatch")
        SPOT = "随机抽查", _("spot check")

    first_secretary = models.ForeignKey(
        FirstSecretary,
        on_delete=models.PROTECT,
        related_name="checks",
        verbose_name=_("first secretary"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    on = models.DateField(_("date"))
    result = models.TextField(_("what was found"))
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-on", "id"]
        verbose_name = _("first secretary check")
        verbose_name_plural = _("first secretary checks")
        indexes = [models.Index(fields=["first_secretary", "kind", "on"], name="fs_check_idx")]

    def __str__(self) -> str:
        return f"{self.first_secretary} {self.kind} {self.on}"
