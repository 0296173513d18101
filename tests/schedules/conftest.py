import datetime

import pytest

from duties.models import Department, Duty, DutySchedule, Obligation
from duties.organisation.services import cadre_save
from xigang import roles


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def department_staff(username, name, department):
    return cadre_save(
        username=username,
        name=name,
        unit=Department.objects.get(name=department),
        roles=[roles.DEPARTMENT],
    ).user


@pytest.fixture
def finance(db):
    """Staff of another department (财政所)."""
    return department_staff("finance", "财政所小王", "财政所")


@pytest.fixture
def organisation(db):
    """Staff of 组织科, the unit of 5.3 (criticism and accountability for neglect)."""
    return department_staff("organisation", "组织科小李", "组织科")


def make_obligation(article, clause, *, label, start, end, due=None, **unit):
    duty = Duty.objects.get(article_id=article, clause=clause)
    return Obligation.objects.create(
        schedule=DutySchedule.objects.get(duty=duty),
        duty=duty,
        period_label=label,
        period_start=start,
        period_end=end,
        due=due or end,
        **unit,
    )


@pytest.fixture
def civil_may(civil_affairs):
    """民政科's monthly allowances (15.2) for May 2026, due 2026-05-31."""
    return make_obligation(
        15,
        2,
        label="2026-05",
        start=datetime.date(2026, 5, 1),
        end=datetime.date(2026, 5, 31),
        department=civil_affairs,
    )


@pytest.fixture
def finance_q2(db):
    """财政所's quarterly payments (8.3) for 2026-Q2."""
    return make_obligation(
        8,
        3,
        label="2026-Q2",
        start=datetime.date(2026, 4, 1),
        end=datetime.date(2026, 6, 30),
        department=Department.objects.get(name="财政所"),
    )


@pytest.fixture
def east_q2(east):
    """东村's party-building duty (36.1) for 2026-Q2."""
    return make_obligation(
        36,
        1,
        label="2026-Q2",
        start=datetime.date(2026, 4, 1),
        end=datetime.date(2026, 6, 30),
        village=east,
    )


@pytest.fixture
def west_q2(west):
    return make_obligation(
        36,
        1,
        label="2026-Q2",
        start=datetime.date(2026, 4, 1),
        end=datetime.date(2026, 6, 30),
        village=west,
    )
