"""The registry's model rules: ID numbers, member changes with their history, pairings."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from households.assessments.services import assessment_record
from households.models import Assessment, HelpMeasure, Household, Member, MemberChange, Pairing
from households.services import (
    help_plan_save,
    household_save,
    member_change_record,
    member_save,
    pairing_end,
    pairing_start,
)
from tests.households.conftest import idn
from xigang.idnumber import birth_date_of, id_number_error, sex_of

D = datetime.date


# --- ID numbers ---------------------------------------------------------------------------


def test_it_accepts_a_valid_id_number_and_derives_sex_and_birth_date():
    number = idn(13, D(1980, 5, 17))
    assert id_number_error(number) is None
    assert birth_date_of(number) == D(1980, 5, 17)
    assert sex_of(number) == "男"  # 13: odd sequence


def test_it_accepts_a_final_x():
    assert id_number_error("11010519491231002X") is None


def test_it_names_the_expected_check_digit():
    good = idn(12)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert f"校验码不对（应为 {good[17]}）" in id_number_error(bad)


def test_it_refuses_a_birth_date_that_does_not_exist():
    assert "出生日期" in id_number_error("370481" + "19800230" + "1234")


def test_member_save_refuses_a_wrong_check_digit(east_household):
    good = idn(1)
    member = Member(
        household=east_household,
        id_number=good[:17] + "0" if good[17] != "0" else good[:17] + "1",
        name="甲",
    )
    with pytest.raises(ValidationError) as error:
        member_save(member=member)
    assert "校验码" in str(error.value)


def test_the_same_id_number_cannot_count_in_two_households(east_household, west_household):
    member_save(member=Member(household=east_household, id_number=idn(1), name="甲"))
    with pytest.raises(ValidationError) as error:
        member_save(member=Member(household=west_household, id_number=idn(1), name="甲"))
    assert "东村-001" in str(error.value)
    # and the database says the same, whatever writes the row
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(household=west_household, id_number=idn(1), name="甲")


def test_a_person_who_left_may_count_in_another_household(east_household, west_household):
    Member.objects.create(
        household=east_household, id_number=idn(1), name="甲", active=False, left_on=D(2026, 1, 5)
    )
    member_save(member=Member(household=west_household, id_number=idn(1), name="甲"))
    assert Member.objects.filter(id_number=idn(1)).count() == 2


# --- member changes -----------------------------------------------------------------------


def test_a_birth_adds_the_member_and_grows_the_household(east_household, pairing):
    change = member_change_record(
        household=east_household,
        kind=MemberChange.Kind.BIRTH,
        name="张小宝",
        id_number=idn(5, D(2026, 3, 1)),
        happened_on=D(2026, 3, 1),
        reported_on=D(2026, 3, 10),
        reported_by=pairing,
    )
    east_household.refresh_from_db()
    assert east_household.size == 2
    member = Member.objects.get(id_number=idn(5, D(2026, 3, 1)))
    assert member.active and member.household == east_household
    assert change.member == member and change.reported_by == pairing


def test_a_death_ends_the_membership_on_that_day_and_keeps_the_history(east_household):
    Member.objects.create(household=east_household, id_number=idn(1), name="张三")
    Member.objects.create(household=east_household, id_number=idn(3), name="王五")
    east_household.size = 2
    east_household.save()
    member_change_record(
        household=east_household,
        kind=MemberChange.Kind.DEATH,
        name="王五",
        happened_on=D(2026, 4, 2),
        reported_on=D(2026, 4, 20),
    )
    east_household.refresh_from_db()
    gone = Member.objects.get(id_number=idn(3))
    assert (gone.active, gone.left_on) == (False, D(2026, 4, 2))
    assert east_household.size == 1
    assert list(east_household.changes.values_list("name", "kind")) == [("王五", "死亡")]


def test_moving_out_then_in_elsewhere_keeps_both_rows(east_household, west_household):
    Member.objects.create(household=east_household, id_number=idn(1), name="甲")
    member_change_record(
        household=east_household,
        kind="嫁出",
        name="甲",
        id_number=idn(1),
        happened_on=D(2026, 5, 1),
        reported_on=D(2026, 5, 3),
    )
    member_change_record(
        household=west_household,
        kind="嫁入",
        name="甲",
        id_number=idn(1),
        happened_on=D(2026, 5, 1),
        reported_on=D(2026, 5, 3),
    )
    rows = Member.objects.filter(id_number=idn(1)).order_by("id")
    assert [(m.household.number, m.active) for m in rows] == [
        ("东村-001", False),
        ("西村-001", True),
    ]


def test_moving_in_someone_who_still_counts_elsewhere_is_refused(east_household, west_household):
    Member.objects.create(household=east_household, id_number=idn(1), name="甲")
    with pytest.raises(ValidationError) as error:
        member_change_record(
            household=west_household,
            kind="迁入",
            name="甲",
            id_number=idn(1),
            happened_on=D(2026, 5, 1),
            reported_on=D(2026, 5, 3),
        )
    assert "东村-001" in str(error.value)
    assert not MemberChange.objects.exists()


def test_a_departure_of_nobody_in_the_household_is_refused(east_household):
    with pytest.raises(ValidationError):
        member_change_record(
            household=east_household,
            kind="迁出",
            name="无此人",
            happened_on=D(2026, 5, 1),
            reported_on=D(2026, 5, 3),
        )
    assert not MemberChange.objects.exists()


def test_a_report_before_the_event_is_refused(east_household):
    with pytest.raises(ValidationError) as error:
        member_change_record(
            household=east_household,
            kind="新生",
            name="乙",
            happened_on=D(2026, 5, 3),
            reported_on=D(2026, 5, 1),
        )
    assert "上报日期早于变动日期" in str(error.value)


# --- pairings -----------------------------------------------------------------------------


def test_a_handover_ends_the_open_pairing_the_day_before(east_household, pairing, leader):
    from duties.organisation.services import cadre_save

    other = cadre_save(username="other", name="赵六", roles=["帮扶责任人"])
    pairing_start(household=east_household, cadre=other, start=D(2026, 7, 1))
    spans = list(
        east_household.pairings.order_by("start").values_list("cadre__name", "start", "end")
    )
    assert spans == [("pairing", D(2026, 1, 1), D(2026, 6, 30)), ("赵六", D(2026, 7, 1), None)]
    assert east_household.pairings.filter(end__isnull=True).count() == 1


def test_an_overlapping_pairing_is_refused(east_household, pairing):
    from duties.organisation.services import cadre_save

    other = cadre_save(username="other", name="赵六", roles=["帮扶责任人"])
    first = Pairing.objects.get(household=east_household)
    pairing_end(pairing=first, end=D(2026, 6, 30))
    with pytest.raises(ValidationError) as error:
        pairing_start(household=east_household, cadre=other, start=D(2026, 6, 1))
    assert "一户同一时间只有一名帮扶责任人" in str(error.value)
    assert east_household.pairings.count() == 1


def test_closing_a_household_ends_its_pairing(east_household):
    east_household.status = Household.Status.CLOSED
    household_save(household=east_household, closed_on=D(2026, 8, 15))
    assert list(east_household.pairings.values_list("end", flat=True)) == [D(2026, 8, 15)]


def test_a_closed_household_cannot_be_paired_again(east_household, pairing):
    east_household.status = Household.Status.CLOSED
    household_save(household=east_household, closed_on=D(2026, 8, 15))
    with pytest.raises(ValidationError):
        pairing_start(household=east_household, cadre=pairing.cadre, start=D(2026, 9, 1))


# --- plans and assessments ----------------------------------------------------------------


def test_plan_measures_go_to_the_department_that_answers_for_them(east_household):
    plan = help_plan_save(
        household=east_household,
        year=2026,
        measures=[
            {"kind": "残疾人补贴", "amount": "1200"},
            {"kind": "雨露计划"},
            {"kind": "就业扶贫"},
        ],
    )
    assert dict(plan.measures.values_list("kind", "department__name")) == {
        "残疾人补贴": "残联",
        "雨露计划": "西岗学区",
        "就业扶贫": "人力资源和社会保障所",
    }
    assert plan.measures.get(kind="残疾人补贴").amount == 1200
    help_plan_save(household=east_household, year=2026, measures=[{"kind": "低保五保"}])
    assert list(HelpMeasure.objects.values_list("kind", "department__name")) == [
        ("低保五保", "民政科")
    ]


def test_an_unmet_item_names_the_responsible_department(east_household, office):
    housing = assessment_record(
        household=east_household,
        item="housing",
        met=False,
        assessed_on=D(2026, 6, 1),
        assessed_by=office,
    )
    water = assessment_record(
        household=east_household, item="water", met=True, assessed_on=D(2026, 6, 1)
    )
    assert housing.responsible == ("村建办", 11)
    assert water.responsible is None
    assert Assessment(item="education", met=False).responsible == ("西岗学区", 13)
    assert Assessment(item="medical", met=False).responsible == ("卫生院", 12)
