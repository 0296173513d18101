"""One rule, one message: each check of `households.checks` refuses the same bad record with the
same words whether it comes through a service (or the admin) or through a ledger."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from households.admin import HouseholdForm, PairingForm
from households.models import Household, Member, MemberChange, Pairing
from households.services import (
    household_save,
    member_change_record,
    member_save,
    pairing_end,
    pairing_start,
)
from tests.conftest import make_user, workbook
from tests.households.conftest import idn
from xigang import roles
from xigang.ledgers import get_kind, import_ledger

D = datetime.date
H_HEADERS = ["户编号", "村", "户主姓名", "识别年度", "脱贫年度"]
M_HEADERS = ["身份证号", "户编号", "姓名", "在册"]
C_HEADERS = ["户编号", "身份证号", "姓名", "变动类型", "变动日期", "上报日期"]
P_HEADERS = ["户编号", "帮扶责任人", "开始日期", "结束日期"]


def _refused_by_service(call) -> list[str]:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.messages


def _refused_by_ledger(tmp_path, user, kind, headers, row) -> tuple[str, str]:
    """(header, message) of the one error the ledger reports for a file of one row."""
    path = workbook(tmp_path / f"{kind}.xlsx", headers, [row])
    report = import_ledger(get_kind(kind)(user), path)
    assert not report.written and len(report.errors) == 1, report.lines()
    return report.errors[0].header, report.errors[0].message


@pytest.fixture
def zhao(db):
    return make_user("zhao", roles.PAIRING, name="赵六").cadre


def test_an_id_number_with_a_wrong_check_digit(tmp_path, office, east_household):
    bad = idn(1)[:17] + ("0" if idn(1)[17] != "0" else "1")
    service = _refused_by_service(
        lambda: member_save(member=Member(household=east_household, id_number=bad, name="甲"))
    )
    ledger = _refused_by_ledger(
        tmp_path, office, "members", M_HEADERS, [bad, "东村-001", "甲", "是"]
    )
    assert ledger == ("身份证号", service[0]) and len(service) == 1
    assert "校验码不对" in service[0]


def test_a_year_of_exit_before_the_year_identified(tmp_path, office, east):
    household = Household(
        number="东村-009", village=east, head_name="王五", year_identified=2019, year_exited=2017
    )
    service = _refused_by_service(lambda: household_save(household=household))
    ledger = _refused_by_ledger(
        tmp_path, office, "households", H_HEADERS, ["东村-009", "东村", "王五", 2019, 2017]
    )
    assert ledger == ("脱贫年度", service[0]) and service == ["脱贫年度早于识别年度（2019）"]
    form = HouseholdForm(
        data={
            "number": "东村-009",
            "village": east.pk,
            "head_name": "王五",
            "size": 1,
            "category": "一般贫困户",
            "status": "已脱贫（享受政策）",
            "year_identified": 2019,
            "year_exited": 2017,
        }
    )
    assert form.errors == {"year_exited": service}  # not the database constraint's name
    assert not Household.objects.filter(number="东村-009").exists()


def test_a_new_pairing_of_a_closed_household(tmp_path, office, east_household, zhao):
    east_household.status = Household.Status.CLOSED
    household_save(household=east_household, closed_on=D(2026, 8, 15))
    service = _refused_by_service(
        lambda: pairing_start(household=east_household, cadre=zhao, start=D(2026, 9, 1))
    )
    ledger = _refused_by_ledger(
        tmp_path, office, "pairings", P_HEADERS, ["东村-001", "zhao", "2026-09-01", None]
    )
    assert ledger == ("户编号", service[0]) and service == [
        "该户已销户，不再结对帮扶（补入其以往的结对须填写结束日期）"
    ]


def test_a_pairing_that_ends_before_it_starts(tmp_path, office, east_household, pairing):
    first = Pairing.objects.get(household=east_household)
    service = _refused_by_service(lambda: pairing_end(pairing=first, end=D(2025, 12, 1)))
    ledger = _refused_by_ledger(
        tmp_path, office, "pairings", P_HEADERS, ["东村-001", "pairing", "2026-01-01", "2025-12-01"]
    )
    assert ledger == ("结束日期", service[0]) and service == ["结束日期早于开始日期2026-01-01"]
    form = PairingForm(
        data={
            "household": east_household.pk,
            "cadre": pairing.cadre.pk,
            "start": "2026-03-01",
            "end": "2026-02-01",
        }
    )
    assert form.errors == {"end": ["结束日期早于开始日期2026-03-01"]}
    first.refresh_from_db()
    assert first.end is None


def test_a_pairing_overlapping_another(tmp_path, office, east_household, zhao):
    pairing_end(pairing=Pairing.objects.get(household=east_household), end=D(2026, 6, 30))
    service = _refused_by_service(
        lambda: pairing_start(household=east_household, cadre=zhao, start=D(2026, 6, 1))
    )
    ledger = _refused_by_ledger(
        tmp_path, office, "pairings", P_HEADERS, ["东村-001", "zhao", "2026-06-01", None]
    )
    assert ledger == ("开始日期", service[0])
    assert service == [
        "与pairing自2026-01-01至2026-06-30的结对时间重叠：一户同一时间只有一名帮扶责任人"
    ]
    assert east_household.pairings.count() == 1


def test_a_member_who_counts_in_another_household(tmp_path, office, east_household, west_household):
    member_save(member=Member(household=east_household, id_number=idn(1), name="甲"))
    service = _refused_by_service(
        lambda: member_save(member=Member(household=west_household, id_number=idn(1), name="甲"))
    )
    ledger = _refused_by_ledger(
        tmp_path, office, "members", M_HEADERS, [idn(1), "西村-001", "甲", "是"]
    )
    assert ledger == ("身份证号", service[0]) and "已在「东村-001」户在册" in service[0]
    # and moving in by a member change, without first moving out
    service = _refused_by_service(
        lambda: member_change_record(
            household=west_household,
            kind="迁入",
            name="甲",
            id_number=idn(1),
            happened_on=D(2026, 5, 1),
            reported_on=D(2026, 5, 3),
        )
    )
    row = ["西村-001", idn(1), "甲", "迁入", "2026-05-01", "2026-05-03"]
    assert _refused_by_ledger(tmp_path, office, "member_changes", C_HEADERS, row) == (
        "身份证号",
        service[0],
    )
    assert Member.objects.filter(id_number=idn(1)).count() == 1


def test_a_member_who_counts_in_a_household_out_of_the_users_scope(
    tmp_path, east_cadre, east_household, west_household
):
    member_save(member=Member(household=west_household, id_number=idn(1), name="甲"))
    service = _refused_by_service(
        lambda: member_save(
            member=Member(household=east_household, id_number=idn(1), name="甲"), user=east_cadre
        )
    )
    ledger = _refused_by_ledger(
        tmp_path, east_cadre, "members", M_HEADERS, [idn(1), "东村-001", "甲", "是"]
    )
    # the other village's household is not named, by either
    assert ledger == ("身份证号", service[0]) and service == [
        "该身份证号已登记在其他户，请联系扶贫办"
    ]


def test_a_change_reported_before_it_happened(tmp_path, office, east_household):
    service = _refused_by_service(
        lambda: member_change_record(
            household=east_household,
            kind="新生",
            name="乙",
            happened_on=D(2026, 5, 3),
            reported_on=D(2026, 5, 1),
        )
    )
    row = ["东村-001", None, "乙", "新生", "2026-05-03", "2026-05-01"]
    ledger = _refused_by_ledger(tmp_path, office, "member_changes", C_HEADERS, row)
    assert ledger == ("上报日期", service[0]) and service == ["上报日期早于变动日期"]


def test_a_departure_of_nobody_in_the_household(tmp_path, office, east_household):
    service = _refused_by_service(
        lambda: member_change_record(
            household=east_household,
            kind="迁出",
            name="无此人",
            happened_on=D(2026, 5, 1),
            reported_on=D(2026, 5, 3),
        )
    )
    row = ["东村-001", None, "无此人", "迁出", "2026-05-01", "2026-05-03"]
    ledger = _refused_by_ledger(tmp_path, office, "member_changes", C_HEADERS, row)
    assert ledger == ("姓名", service[0])
    assert service == ["本户目前没有该身份证号或姓名的在册成员"]
    assert not MemberChange.objects.exists()
