"""Spot checks (抽查, arts. 5, 41): draw a repeatable random sample of households, record what
each says, compare it with the records, and propose a finding (a 疑点 signal of kind
spot_check) for every household whose answers contradict them."""

from __future__ import annotations

import datetime
import random
import secrets
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duties.models import Cadre, Department, Village
from households.models import Assessment, Household, Pairing
from oversight.checks import ORGANISATION
from oversight.models import FirstSecretary, Signal, SpotCheck, SpotCheckAnswer
from oversight.signals import Found, save_found
from visits.models import Visit
from xigang.periods import QUARTERLY, period_of

MAX_SAMPLE = 50
CHECKING_UNITS = ("镇纪委", "督查科", ORGANISATION)  # arts. 41 and 5
# The answers about 两不愁三保障 and the assessment item each is compared with.
SAY_ITEMS = {
    "food": Assessment.Item.FOOD,
    "clothing": Assessment.Item.CLOTHING,
    "education": Assessment.Item.EDUCATION,
    "medical": Assessment.Item.MEDICAL,
    "housing": Assessment.Item.HOUSING,
}

# What each mismatch is about, as the pages name it.
MISMATCH_LABELS = {
    "visited": gettext_lazy("home visit this quarter"),
    "visitor": gettext_lazy("who visited"),
    "knows_name": gettext_lazy("knows the cadre's name"),
    "knows_phone": gettext_lazy("knows the cadre's phone"),
    "food": gettext_lazy("enough to eat"),
    "clothing": gettext_lazy("enough to wear"),
    "education": gettext_lazy("children in school"),
    "medical": gettext_lazy("basic medical care"),
    "housing": gettext_lazy("safe housing"),
}


def population(
    *, village: Village | None, cadre: Cadre | None, on: datetime.date
) -> QuerySet[Household]:
    """The households a draw picks from, in a fixed order: a village's open households, or the
    households paired with the cadre on `on`."""
    households = Household.objects.exclude(status=Household.Status.CLOSED)
    if village is not None:
        households = households.filter(village=village)
    else:
        paired = Pairing.objects.filter(cadre=cadre, start__lte=on).filter(
            Q(end__isnull=True) | Q(end__gte=on)
        )
        households = households.filter(pk__in=paired.values("household_id"))
    return households.order_by("number")


def sample(
    *, village: Village | None, cadre: Cadre | None, on: datetime.date, size: int, seed: int
) -> list[Household]:
    """The draw: the same seed over the same population gives the same households."""
    pool = list(population(village=village, cadre=cadre, on=on))
    return random.Random(seed).sample(pool, min(size, len(pool)))


def _unit_errors(
    department: Department, village: Village | None, cadre: Cadre | None, on: datetime.date
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if department.name not in CHECKING_UNITS:
        errors["department"] = [
            _("spot checks are drawn by 镇纪委, 督查科 or, for the first secretaries, 组织科")
        ]
    if (village is None) == (cadre is None):
        errors["village"] = [_("draw by a village or by a cadre, one of the two")]
    elif department.name == ORGANISATION:
        # 组织科 checks the 第一书记 it manages (art. 5), not the pairing cadres at large.
        serving = FirstSecretary.objects.filter(started_on__lte=on).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=on)
        )
        serving = serving.filter(village=village) if village else serving.filter(cadre=cadre)
        if not serving.exists():
            errors["village" if village else "cadre"] = [
                _("组织科 draws spot checks of the first secretaries: none serves there")
            ]
    return errors


@transaction.atomic
def spot_check_draw(
    *,
    department: Department,
    user: User,
    size: int,
    village: Village | None = None,
    cadre: Cadre | None = None,
    quarter_of: datetime.date | None = None,
    seed: int | None = None,
) -> SpotCheck:
    """Draw the sample and record it with its seed. `quarter_of`: a day of the quarter the
    households are asked about (default: today's)."""
    today = timezone.localdate()
    quarter = period_of(QUARTERLY, quarter_of or today)
    errors = _unit_errors(department, village, cadre, today)
    if not 1 <= size <= MAX_SAMPLE:
        errors["size"] = [_("draw between 1 and %(most)s households") % {"most": MAX_SAMPLE}]
    if quarter.start > today:
        errors["quarter_of"] = [_("the quarter asked about has not begun")]
    if errors:
        raise ValidationError(errors)
    seed = secrets.randbelow(2**31) if seed is None else seed
    drawn = sample(village=village, cadre=cadre, on=today, size=size, seed=seed)
    if not drawn:
        raise ValidationError({"village": [_("there are no households to draw from")]})
    check = SpotCheck(
        department=department,
        village=village,
        cadre=cadre,
        drawn_on=today,
        period=quarter.label,
        period_start=quarter.start,
        period_end=quarter.end,
        size=size,
        seed=seed,
        created_by=user,
    )
    check.full_clean()
    check.save()
    SpotCheckAnswer.objects.bulk_create(
        SpotCheckAnswer(spot_check=check, household=h, position=i + 1) for i, h in enumerate(drawn)
    )
    return check


@transaction.atomic
def spot_check_answer(*, answer: SpotCheckAnswer, user: User, **said: Any) -> SpotCheckAnswer:
    """Record what the household said (the fields of SpotCheckAnswer), compare it with the
    records and propose a finding for the mismatches."""
    if answer.answered_at is not None:
        raise ValidationError(_("this household's answers are already recorded"))
    for name, value in said.items():
        setattr(answer, name, value.strip() if isinstance(value, str) else value)
    if not answer.visited:
        raise ValidationError({"visited": [_("say whether the household was visited")]})
    answer.answered_at = timezone.now()
    answer.answered_by = user
    cadre, visits, mismatches = compare(answer)
    answer.mismatches = mismatches
    answer.full_clean()
    answer.save()
    if mismatches and cadre is not None:
        check = answer.spot_check
        quarter = period_of(QUARTERLY, check.period_start)
        save_found(
            Signal.Kind.SPOT_CHECK,
            {
                f"answer:{answer.pk}": Found(
                    cadre.pk,
                    answer.household.village_id,
                    quarter,
                    [
                        {"id": m["item"], "answer": answer.pk, "visits": visits, **m}
                        for m in mismatches
                    ],
                )
            },
        )
    return answer


def compare(answer: SpotCheckAnswer) -> tuple[Cadre | None, list[int], list[dict[str, str]]]:
    """The cadre paired at the quarter's end (or last in it), the quarter's home visit ids,
    and each point where the household's words contradict the records: {"item", "records",
    "household"}."""
    check = answer.spot_check
    household = answer.household
    pairing = (
        Pairing.objects.filter(household=household, start__lte=check.period_end)
        .filter(Q(end__isnull=True) | Q(end__gte=check.period_start))
        .select_related("cadre")
        .order_by("-start")
        .first()
    )
    cadre = pairing.cadre if pairing else None
    homes = list(
        Visit.objects.filter(
            household=household,
            kind=Visit.Kind.HOME,
            on__gte=check.period_start,
            on__lte=check.period_end,
        )
        .order_by("on")
        .values_list("id", "on")
    )
    found: list[dict[str, str]] = []
    dates = "、".join(on.isoformat() for _id, on in homes)
    if homes and answer.visited == SpotCheckAnswer.Visited.NO:
        found.append({"item": "visited", "records": dates, "household": answer.visited})
    if not homes and answer.visited == SpotCheckAnswer.Visited.YES:
        found.append({"item": "visited", "records": "", "household": answer.visited})
    if cadre and answer.visitor and cadre.name not in answer.visitor:
        found.append({"item": "visitor", "records": cadre.name, "household": answer.visitor})
    if cadre and answer.knows_name is False:
        found.append({"item": "knows_name", "records": cadre.name, "household": ""})
    if cadre and answer.knows_phone is False:
        found.append({"item": "knows_phone", "records": cadre.mobile, "household": ""})
    assessed: dict[str, bool] = {}
    for item, met in (
        Assessment.objects.filter(
            household=household, assessed_on__lte=check.period_end, item__in=SAY_ITEMS.values()
        )
        .order_by("item", "-assessed_on")
        .values_list("item", "met")
    ):
        assessed.setdefault(item, met)
    for name, item in SAY_ITEMS.items():
        if getattr(answer, name) is False and assessed.get(item) is True:
            found.append({"item": name, "records": "met", "household": "not met"})
    return cadre, [v for v, _on in homes], found
