"""The registry of 建档立卡 households: members, their changes, pairings, plans and status."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from duties.models import Cadre, Department, Village
from xigang.idnumber import validate_id_number
from xigang.models import imported_in_field


class Household(models.Model):
    class Category(models.TextChoices):
        GENERAL = "一般贫困户", _("general poor household")
        SUBSISTENCE = "低保贫困户", _("subsistence-allowance poor household")
        SUPPORTED = "特困供养贫困户", _("destitute-support poor household")

    class Status(models.TextChoices):
        POOR = "未脱贫", _("not yet out of poverty")
        OUT_WITH_POLICY = "已脱贫（享受政策）", _("out of poverty (still supported)")
        OUT = "已脱贫（不享受政策）", _("out of poverty (no longer supported)")
        CLOSED = "已销户", _("closed")

    class Cause(models.TextChoices):
        ILLNESS = "因病", _("illness")
        DISABILITY = "因残", _("disability")
        SCHOOLING = "因学", _("schooling")
        DISASTER = "因灾", _("disaster")
        LAND = "缺土地", _("lack of land")
        WATER = "缺水", _("lack of water")
        SKILLS = "缺技术", _("lack of skills")
        LABOUR = "缺劳力", _("lack of labour")
        CAPITAL = "缺资金", _("lack of capital")
        TRANSPORT = "交通条件落后", _("poor transport")
        MOTIVATION = "自身发展动力不足", _("lack of motivation")

    number = models.CharField(_("household number"), max_length=30, unique=True)
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="households", verbose_name=_("village")
    )
    head_name = models.CharField(_("head of household"), max_length=50)
    head_id_number = models.CharField(
        _("ID number of the head"), max_length=18, blank=True, validators=[validate_id_number]
    )
    size = models.PositiveSmallIntegerField(_("household size"), default=1)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.GENERAL
    )
    status = models.CharField(
        _("poverty status"), max_length=20, choices=Status.choices, default=Status.POOR
    )
    year_identified = models.PositiveSmallIntegerField(_("year identified"), null=True, blank=True)
    year_exited = models.PositiveSmallIntegerField(_("year exited"), null=True, blank=True)
    cause = models.CharField(_("main cause"), max_length=20, choices=Cause.choices, blank=True)
    is_key = models.BooleanField(
        _("key household"), default=False, help_text=_("老病残 households singled out by art. 34")
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.CheckConstraint(
                condition=Q(year_exited__isnull=True)
                | Q(year_identified__isnull=True)
                | Q(year_exited__gte=models.F("year_identified")),
                name="household_exit_after_identification",
            )
        ]
        # Heads are looked up by ID number: the admin's exact search, the duplicate-ID check.
        indexes = [models.Index(fields=["head_id_number"], name="household_head_id_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.head_name}"

    def clean(self) -> None:
        from households.checks import exit_year_error  # the checks module reads these models

        error = exit_year_error(year_identified=self.year_identified, year_exited=self.year_exited)
        if error:
            raise ValidationError({"year_exited": error})


class Member(models.Model):
    class Relation(models.TextChoices):
        HEAD = "户主", _("head")
        SPOUSE = "配偶", _("spouse")
        SON = "子", _("son")
        DAUGHTER = "女", _("daughter")
        PARENT = "父母", _("parent")
        GRANDCHILD = "孙子女", _("grandchild")
        OTHER = "其他", _("other")

    class Health(models.TextChoices):
        HEALTHY = "健康", _("healthy")
        CHRONIC = "长期慢性病", _("chronic illness")
        SERIOUS = "患有大病", _("serious illness")
        DISABLED = "残疾", _("disabled")

    class Disability(models.TextChoices):
        GRADE1 = "一级", _("grade 1")
        GRADE2 = "二级", _("grade 2")
        GRADE3 = "三级", _("grade 3")
        GRADE4 = "四级", _("grade 4")

    class Labour(models.TextChoices):
        NORMAL = "普通劳动力", _("ordinary labour")
        SKILLED = "技能劳动力", _("skilled labour")
        WEAK = "弱劳动力或半劳动力", _("weak or half labour")
        LOST = "丧失劳动力", _("lost labour capacity")
        NONE = "无劳动力", _("no labour capacity")

    class Schooling(models.TextChoices):
        PRESCHOOL = "学前", _("preschool")
        PRIMARY = "小学", _("primary school")
        JUNIOR = "初中", _("junior middle school")
        SENIOR = "高中", _("senior middle school")
        VOCATIONAL = "中职", _("secondary vocational")
        HIGHER_VOCATIONAL = "高职", _("higher vocational")
        UNIVERSITY = "本科及以上", _("university or above")
        NOT_IN_SCHOOL = "非在校生", _("not in school")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("household")
    )
    id_number = models.CharField(_("ID number"), max_length=18, validators=[validate_id_number])
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(
        _("relation to head"), max_length=10, choices=Relation.choices, default=Relation.OTHER
    )
    health = models.CharField(_("health"), max_length=10, choices=Health.choices, blank=True)
    disability_grade = models.CharField(
        _("disability grade"), max_length=4, choices=Disability.choices, blank=True
    )
    labour = models.CharField(
        _("labour capacity"), max_length=20, choices=Labour.choices, blank=True
    )
    schooling = models.CharField(
        _("school status"), max_length=10, choices=Schooling.choices, blank=True
    )
    active = models.BooleanField(_("counts in household"), default=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    # 四有人员 (art. 32): recorded so that they can be flagged for review.
    has_vehicle = models.BooleanField(_("owns a vehicle"), default=False)
    has_town_housing = models.BooleanField(_("owns commercial housing in town"), default=False)
    has_public_post = models.BooleanField(_("holds a public post"), default=False)
    has_business = models.BooleanField(_("has a registered business"), default=False)

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(active=True),
                name="member_id_number_in_one_household",
            ),
            models.CheckConstraint(
                condition=Q(active=True, left_on__isnull=True) | Q(active=False),
                name="member_active_has_no_left_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def birth_date(self) -> datetime.date | None:
        from xigang.idnumber import birth_date_of

        return birth_date_of(self.id_number)


class MemberChange(models.Model):
    """A change of household members (arts. 32, 37), reported by a cadre."""

    class Kind(models.TextChoices):
        BIRTH = "新生", _("birth")
        MOVE_IN = "迁入", _("moved in")
        MARRY_IN = "嫁入", _("married in")
        DEATH = "死亡", _("death")
        MOVE_OUT = "迁出", _("moved out")
        MARRY_OUT = "嫁出", _("married out")

    ADDING = {Kind.BIRTH, Kind.MOVE_IN, Kind.MARRY_IN}

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="changes", verbose_name=_("household")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("member"),
    )
    id_number = models.CharField(
        _("ID number"), max_length=18, blank=True, validators=[validate_id_number]
    )
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind of change"), max_length=4, choices=Kind.choices)
    happened_on = models.DateField(_("date of change"))
    reported_on = models.DateField(_("date reported"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        ordering = ["-happened_on", "id"]
        verbose_name = _("member change")
        verbose_name_plural = _("member changes")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "name", "kind", "happened_on"],
                name="member_change_unique_event",
            ),
            models.CheckConstraint(
                condition=Q(reported_on__gte=models.F("happened_on")),
                name="member_change_reported_after_event",
            ),
        ]
        indexes = [models.Index(fields=["happened_on"], name="member_change_happened_idx")]

    def __str__(self) -> str:
        return f"{self.household.number} {self.name} {self.kind} {self.happened_on}"

    def clean(self) -> None:
        from households.checks import report_date_error  # the checks module reads these models

        error = report_date_error(happened_on=self.happened_on, reported_on=self.reported_on)
        if error:
            raise ValidationError({"reported_on": error})


class Pairing(models.Model):
    """结对帮扶: a cadre answers for a household from `start` to `end` (inclusive)."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="pairings", verbose_name=_("household")
    )
    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("pairing cadre")
    )
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"), null=True, blank=True)
    # The ledger import that created it; None: entered live.
    imported_in = imported_in_field()

    class Meta:
        ordering = ["household_id", "start"]
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "cadre", "start"], name="pairing_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="pairing_end_not_before_start",
            ),
        ]
        indexes = [
            models.Index(fields=["cadre", "start"], name="pairing_cadre_start_idx"),
            models.Index(fields=["household", "start", "end"], name="pairing_household_span_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household.number} ← {self.cadre} ({self.start}–{self.end or ''})"

    def clean(self) -> None:
        from households.checks import pairing_dates_error  # the checks module reads these models

        error = pairing_dates_error(start=self.start, end=self.end)
        if error:
            raise ValidationError({"end": error})


class HelpPlan(models.Model):
    """一户一策: a household's help plan for one year (arts. 34, 38)."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="plans", verbose_name=_("household")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    summary = models.TextField(_("summary"), blank=True)
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    # Who approved it and when, set by the server (`plan_approve`), never typed.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approval entered at"), null=True, blank=True)

    class Meta:
        ordering = ["household_id", "-year"]
        verbose_name = _("help plan")
        verbose_name_plural = _("help plans")
        permissions = [("approve_helpplan", _("Can approve a help plan"))]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="help_plan_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.household.number} {self.year}"


class PlanStep(models.Model):
    """One step of art. 34's procedure done on a plan, with its date and who entered it. The
    last step, 镇审批, is the plan's approval (`HelpPlan.approved_*`, set by `plan_approve`)."""

    class Step(models.TextChoices):
        SURVEY = "survey", _("household survey (入户调查)")
        CAUSES = "causes", _("analysis of the causes (致贫原因分析)")
        MEASURES = "measures", _("measures drawn up (措施制定)")
        VILLAGE = "village", _("village review (村级审核)")
        REVIEW = "review", _("yearly review (动态调整)")

    plan = models.ForeignKey(
        HelpPlan, on_delete=models.CASCADE, related_name="steps", verbose_name=_("help plan")
    )
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    done_on = models.DateField(_("done on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        ordering = ["plan_id", "done_on", "id"]
        verbose_name = _("plan step")
        verbose_name_plural = _("plan steps")
        constraints = [models.UniqueConstraint(fields=["plan", "step"], name="plan_step_once")]

    def __str__(self) -> str:
        return f"{self.plan} {self.get_step_display()}"


class HelpMeasure(models.Model):
    class Kind(models.TextChoices):
        FILIAL = "孝善养老", _("filial elderly care")
        NEIGHBOUR = "邻里（亲情）互助", _("neighbour and kin mutual help")
        POST = "扶贫专岗", _("poverty-alleviation post")
        HOUSING_ENV = "居住环境提升", _("living environment improvement")
        TEMPORARY = "临时救助", _("temporary assistance")
        DISABILITY = "残疾人补贴", _("disability allowance")
        SUBSISTENCE = "低保五保", _("subsistence and five guarantees")
        ELDERLY = "高龄补贴", _("old-age allowance")
        EDUCATION = "教育资助", _("education aid")
        YULU = "雨露计划", _("Yulu programme")
        INDUSTRY = "产业扶贫", _("industry support")
        EMPLOYMENT = "就业扶贫", _("employment support")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("carried out")

    plan = models.ForeignKey(
        HelpPlan, on_delete=models.CASCADE, related_name="measures", verbose_name=_("help plan")
    )
    kind = models.CharField(_("measure"), max_length=20, choices=Kind.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    due = models.DateField(_("due"), null=True, blank=True)
    # What shows it was carried out: a short text and/or a file; who and when set by the server.
    evidence = models.CharField(_("evidence"), max_length=200, blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to="measures/%Y/", blank=True)
    done_on = models.DateField(_("carried out on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked carried out by"),
    )
    done_at = models.DateTimeField(_("marked carried out at"), null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["department", "due"],
                condition=Q(done_on__isnull=True),
                name="measure_open_due_idx",
            )
        ]
        verbose_name = _("help measure")
        verbose_name_plural = _("help measures")

    def __str__(self) -> str:
        return f"{self.plan} {self.kind}"


class Assessment(models.Model):
    """One item of 一达标、两不愁、三保障, met or not, as assessed on a date."""

    class Item(models.TextChoices):
        INCOME = "income", _("income above the year's standard")
        FOOD = "food", _("enough to eat")
        CLOTHING = "clothing", _("enough to wear")
        EDUCATION = "education", _("compulsory education")
        MEDICAL = "medical", _("basic medical care")
        HOUSING = "housing", _("safe housing")
        WATER = "water", _("safe drinking water")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("household")
    )
    item = models.CharField(_("item"), max_length=20, choices=Item.choices)
    met = models.BooleanField(_("met"))
    assessed_on = models.DateField(_("assessed on"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assessed by"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
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
        ordering = ["household_id", "item", "-assessed_on"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "item", "assessed_on"], name="assessment_unique_day"
            )
        ]
        # assessment.due asks whether a household was assessed within a period, whatever item.
        indexes = [
            models.Index(fields=["household", "assessed_on"], name="assessment_household_on_idx")
        ]

    def __str__(self) -> str:
        return f"{self.household.number} {self.get_item_display()}"

    @property
    def responsible(self) -> tuple[str, int] | None:
        """(department name, article) that answers for this item when it is not met."""
        from households.responsibility import ASSESSMENT_DEPARTMENTS

        return None if self.met else ASSESSMENT_DEPARTMENTS[self.item]


# The gaps of 两不愁三保障 (art. 38) live in their own module; imported here so Django sees them.
from households.assessments.models import AssessmentGap  # noqa: E402, F401
