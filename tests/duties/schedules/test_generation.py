"""Default schedules and the generation of obligations: complete, idempotent, effective-dated."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from duties.models import Duty, DutySchedule, Obligation, Village
from duties.organisation.data import DUTY_CLAUSES
from duties.schedules.data import scheduled_articles
from duties.schedules.generation import (
    due_date,
    ensure_generated,
    generate_obligations,
    periods,
    schedule_change,
)
from xigang.periods import YEARLY, period_of

pytestmark = pytest.mark.django_db

D = datetime.date


def _duty(article, clause):
    return Duty.objects.get(article_id=article, clause=clause)


def test_every_duty_of_arts_3_to_31_and_33_to_36_has_a_default_schedule():
    scheduled = set(DutySchedule.objects.values_list("duty__article_id", "duty__clause"))
    wanted = {(a, c) for a in scheduled_articles() for c in range(1, len(DUTY_CLAUSES[a]) + 1)}
    assert scheduled == wanted
    assert len(wanted) == 103
    assert not scheduled & {(32, 1), (32, 2), (39, 1)}  # followed by their own rules
    assert all(s.evidence for s in DutySchedule.objects.all())


def test_the_docs_table_lists_every_default_schedule():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "duty-schedules.md").read_text()
    for duty in Duty.objects.filter(schedules__isnull=False):
        assert f"| {duty.article_id}.{duty.clause} |" in doc


def test_a_schedules_first_period_starts_on_or_after_its_effective_date():
    # (The calendar periods themselves are tested in tests/xigang/test_periods.py.)
    # A period belongs to the schedule in force on its first day: the regulation began on
    # 2019-06-15, so its first quarter is 2019-Q3.
    first = list(periods("quarterly", first=D(2019, 6, 15), until=None, through=D(2019, 12, 31)))
    assert [p.label for p in first] == ["2019-Q3", "2019-Q4"]


def test_the_due_day_counts_from_the_periods_first_day():
    budget = DutySchedule.objects.get(duty=_duty(8, 1))  # yearly, day 31
    books = DutySchedule.objects.get(duty=_duty(27, 2))  # yearly, last day
    year = period_of(YEARLY, D(2026, 5, 1))
    assert due_date(budget, year) == D(2026, 1, 31)
    assert due_date(books, year) == D(2026, 12, 31)


def test_it_creates_one_obligation_per_period_and_unit_and_is_idempotent(east, west):
    created = generate_obligations(through=D(2026, 12, 31))
    assert created > 0
    assert generate_obligations(through=D(2026, 12, 31)) == 0
    # art. 27.2 (文化站, yearly): 2020 to 2026, one each
    books = Obligation.objects.filter(duty=_duty(27, 2))
    assert [o.period_label for o in books.order_by("period_start")] == [
        str(y) for y in range(2020, 2027)
    ]
    assert {o.department.name for o in books} == {"文化站"}
    # art. 36.1 (village, quarterly): each village has each quarter from 2019-Q3 to 2026-Q4
    party = Obligation.objects.filter(duty=_duty(36, 1))
    for village in (east, west):
        labels = list(
            party.filter(village=village)
            .order_by("period_start")
            .values_list("period_label", flat=True)
        )
        assert labels[0] == "2019-Q3" and labels[-1] == "2026-Q4" and len(labels) == 30
    # nothing for periods that have not started
    assert not Obligation.objects.filter(period_start__gt=D(2026, 12, 31)).exists()


def test_the_command_generates_through_the_date_given(east, capsys):
    call_command("generate_obligations", "--through", "2026-03-31")
    assert "2026-03-31" in capsys.readouterr().out
    assert Obligation.objects.filter(duty=_duty(36, 1), period_label="2026-Q1").count() == 1
    assert not Obligation.objects.filter(period_label="2026-Q2").exists()
    call_command("generate_obligations", "--through", "2026-03-31")
    assert "0" in capsys.readouterr().out


def test_a_schedule_change_applies_from_its_date_and_leaves_past_obligations(east):
    books = _duty(27, 2)
    generate_obligations(through=D(2026, 6, 30))
    old = Obligation.objects.get(duty=books, period_label="2025")
    old_schedule_id, old_due = old.schedule_id, old.due

    # From 2026-07-01 the books are renewed each quarter, due 15 days into the quarter.
    new = schedule_change(
        duty=books,
        frequency="quarterly",
        due_day=15,
        evidence="农家书屋书籍更新清单（季度）",
        effective_from=D(2026, 7, 1),
    )
    generate_obligations(through=D(2026, 12, 31))
    rows = list(
        Obligation.objects.filter(duty=books, period_start__gte=D(2025, 1, 1))
        .order_by("period_start")
        .values_list("period_label", "due", "schedule_id")
    )
    yearly = DutySchedule.objects.get(duty=books, effective_from=D(2019, 6, 15)).pk
    assert rows == [
        ("2025", D(2025, 12, 31), yearly),
        ("2026", D(2026, 12, 31), yearly),  # begun under the old schedule, still owed
        ("2026-Q3", D(2026, 7, 15), new.pk),
        ("2026-Q4", D(2026, 10, 15), new.pk),
    ]
    old.refresh_from_db()
    assert (old.schedule_id, old.due) == (old_schedule_id, old_due)
    assert generate_obligations(through=D(2026, 12, 31)) == 0


def test_a_change_may_not_rewrite_periods_already_generated(east):
    generate_obligations(through=D(2026, 12, 31))
    with pytest.raises(ValidationError) as exc:
        schedule_change(
            duty=_duty(21, 2),  # road upkeep, monthly: July to December exist already
            frequency="quarterly",
            due_day=None,
            evidence="清单",
            effective_from=D(2026, 7, 1),
        )
    assert "2026-12-01" in str(exc.value)


def test_ensure_generated_fills_a_new_village_and_a_new_period(east, django_assert_num_queries):
    ensure_generated(through=D(2026, 6, 30))
    # nothing missing: the mark, then the two counts of the signature
    with django_assert_num_queries(3):
        ensure_generated(through=D(2026, 6, 30))
    village = Village.objects.create(name="南村")
    ensure_generated(through=D(2026, 6, 30))
    assert Obligation.objects.filter(village=village, duty=_duty(36, 1)).count() == 28
    ensure_generated(through=D(2026, 7, 1))
    assert Obligation.objects.filter(village=village, period_label="2026-Q3").exists()


def test_a_new_village_is_filled_without_a_full_pass(east):
    from duties.models import GenerationMark

    ensure_generated(through=D(2026, 9, 30))
    # a row removed by hand shows whether the next pass is a full one (it would come back)
    Obligation.objects.filter(village=east, duty=_duty(36, 1), period_label="2026-Q1").delete()
    south = Village.objects.create(name="南村")
    ensure_generated(through=D(2026, 6, 30))
    assert Obligation.objects.filter(village=south, period_label="2026-Q3").exists()
    assert not Obligation.objects.filter(
        village=east, period_label="2026-Q1", duty=_duty(36, 1)
    ).exists()
    assert GenerationMark.objects.get().through == D(2026, 9, 30)
    call_command("generate_obligations", "--through", "2026-09-30")  # the full pass, by hand
    assert Obligation.objects.filter(
        village=east, period_label="2026-Q1", duty=_duty(36, 1)
    ).exists()
