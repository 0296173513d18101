"""The regulation and the organisation it charges: articles, units, duties, villages, cadres."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Article(models.Model):
    """One of the 45 articles of 西发〔2019〕33号, loaded by the `load_regulation` migration."""

    number = models.PositiveSmallIntegerField(_("article number"), primary_key=True)
    chapter = models.PositiveSmallIntegerField(_("chapter"))
    chapter_title = models.CharField(_("chapter title"), max_length=50)
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["number"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return _("Art. %(number)s") % {"number": self.number}

    @property
    def label(self) -> str:
        """The article as cited in Chinese documents, e.g. 第三十九条."""
        return f"第{chinese_numeral(self.number)}条"


def chinese_numeral(n: int) -> str:
    """1..99 as written in the regulation's article headings (三十九, 二十, 十一)."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if tens == 0:
        return digits[ones]
    head = "" if tens == 1 else digits[tens]
    return f"{head}十{digits[ones] if ones else ''}"


class Department(models.Model):
    """A unit the regulation charges: the town leadership, an office or a department."""

    class Kind(models.TextChoices):
        LEADERSHIP = "leadership", _("town Party committee and government")
        OFFICE = "office", _("town office")
        DEPARTMENT = "department", _("line department")
        OVERSIGHT = "oversight", _("oversight")

    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    articles = models.ManyToManyField(Article, verbose_name=_("articles"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        permissions = [("work_in_department", _("Can work in this department"))]

    def __str__(self) -> str:
        return self.name


class Duty(models.Model):
    """One responsibility clause of the regulation (a sentence of an article)."""

    class Level(models.TextChoices):
        TOWN = "town", _("town unit")
        VILLAGE = "village", _("village")
        PAIRING = "pairing", _("pairing cadre")
        OVERSIGHT = "oversight", _("oversight")

    article = models.ForeignKey(
        Article, on_delete=models.PROTECT, related_name="duties", verbose_name=_("article")
    )
    clause = models.PositiveSmallIntegerField(_("clause"))
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duties",
        verbose_name=_("department"),
    )
    text = models.TextField(_("responsibility"))

    class Meta:
        ordering = ["article_id", "clause"]
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        constraints = [
            models.UniqueConstraint(fields=["article", "clause"], name="duty_unique_clause"),
            models.CheckConstraint(
                condition=Q(level="town", department__isnull=False)
                | (~Q(level="town") & Q(department__isnull=True)),
                name="duty_department_iff_town_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}.{self.clause} {self.text[:30]}"

    @property
    def label(self) -> str:
        """The clause as the ledgers cite it, e.g. 第五条第3项 (no query)."""
        return f"第{chinese_numeral(self.article_id)}条第{self.clause}项"


class PartyBranch(models.Model):
    """党总支: a party general branch grouping villages."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("party general branch")
        verbose_name_plural = _("party general branches")

    def __str__(self) -> str:
        return self.name


class Village(models.Model):
    """村 or 居 (community); village cadres' row scope is granted on these."""

    class Kind(models.TextChoices):
        VILLAGE = "村", _("village")
        COMMUNITY = "居", _("community")

    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices, default=Kind.VILLAGE)
    branch = models.ForeignKey(
        PartyBranch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="villages",
        verbose_name=_("party general branch"),
    )
    assigned_cadres: models.ManyToManyField[Cadre, VillageAssignment] = models.ManyToManyField(
        "Cadre",
        through="VillageAssignment",
        related_name="assigned_villages",
        verbose_name=_("town cadres assigned"),
        blank=True,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        permissions = [("work_in_village", _("Can work in this village"))]

    def __str__(self) -> str:
        return self.name


class Cadre(models.Model):
    """A person who answers for something, with a user account and one unit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cadre",
        verbose_name=_("user"),
    )
    name = models.CharField(_("full name"), max_length=50)
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cadres",
        verbose_name=_("department"),
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cadres",
        verbose_name=_("village"),
    )
    title = models.CharField(_("title"), max_length=50, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=True) | Q(village__isnull=True),
                name="cadre_one_unit",
            ),
            models.CheckConstraint(
                condition=Q(mobile="") | Q(mobile__regex=r"^1[0-9]{10}$"),
                name="cadre_mobile_11_digits",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unit(self) -> Department | Village | None:
        return self.department or self.village


class VillageAssignment(models.Model):
    """包村干部: a town cadre assigned to a village (arts. 32-36)."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, verbose_name=_("village"))
    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, verbose_name=_("cadre"))

    class Meta:
        verbose_name = _("village assignment")
        verbose_name_plural = _("village assignments")
        constraints = [
            models.UniqueConstraint(fields=["village", "cadre"], name="village_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cadre} → {self.village}"


class RuleParameter(models.Model):
    """An effective-dated parameter of an obligation rule (art. 44: policy changes apply from
    their date on and never rewrite the past)."""

    rule = models.CharField(_("rule"), max_length=40)
    name = models.CharField(_("parameter"), max_length=40)
    value = models.PositiveIntegerField(_("value"))
    effective_from = models.DateField(_("effective from"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["rule", "name", "-effective_from"]
        verbose_name = _("rule parameter")
        verbose_name_plural = _("rule parameters")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "name", "effective_from"], name="rule_parameter_unique_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule}.{self.name}={self.value} ({self.effective_from})"


# Direct-foreign-key object permission tables (guardian finds them by their content_object):
# scope grants on villages and departments are joined, never looked up through generic keys.
class VillageUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Village, on_delete=models.CASCADE)


class VillageGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Village, on_delete=models.CASCADE)


class DepartmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)


class DepartmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Department, on_delete=models.CASCADE)
