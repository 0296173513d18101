"""The accountability (art. 43) and commendation (art. 42) ledgers: imported through the
services (the ladder, the 5.3 通报 obligation, who recorded it), refused with every reason, and a
round trip that changes nothing."""

import datetime

import openpyxl
import pytest

from duties.models import Department, Obligation
from oversight.models import Accountability, Commendation
from oversight.services import accountability_record, commendation_approve, commendation_record
from tests.conftest import workbook
from xigang.ledgers import LedgerError, export_ledger, get_kind, import_ledger

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]

D = datetime.date
HEADERS = ["单位", "村", "个人", "问责方式", "情节", "决定日期", "问责事由"]


def _import(user, name, source):
    return import_ledger(get_kind(name)(user), source)


def _messages(report):
    return [str(e) for e in report.errors]


def _snapshot(model):
    return sorted(model.objects.values_list(), key=lambda r: r[0])


def test_decisions_import_through_the_service(tmp_path, inspector, pairing, east):
    source = workbook(
        tmp_path / "a.xlsx",
        ["被问责单位", "村", "被问责人", "问责措施", "情节", "问责日期", "问责原因"],
        [
            [None, None, "pairing", "诫勉谈话", "情节较轻", "2026-11-02", "走访不实"],
            [None, "东村", None, "通报批评", "情节较重", "2026年11月3日", "台账缺失"],
        ],
        title="2026年问责情况登记表",
    )
    report = _import(inspector, "accountability", source)
    assert report.ok and report.created == 2, report.lines()
    decision = Accountability.objects.get(cadre=pairing.cadre)
    assert (decision.measure, decision.created_by) == ("诫勉谈话", inspector)
    assert decision.obligation is not None  # 组织科's 5.3 通报, as when entered by hand
    assert Obligation.objects.filter(department__name="组织科").count() == 2
    assert Accountability.objects.get(village=east).measure == "通报批评"


def test_a_decision_file_is_refused_with_every_reason(tmp_path, inspector, pairing, east):
    source = workbook(
        tmp_path / "a.xlsx",
        [*HEADERS, "移送纪律处分日期"],
        [
            [None, None, "pairing", "免职", "情节较轻", "2026-11-02", "走访不实", None],
            [None, None, None, "诫勉谈话", "情节较轻", "2026-11-02", "走访不实", None],
            ["民政科", "东村", None, "诫勉谈话", "情节较轻", "2026-11-02", "走访不实", None],
            [None, "北村", None, "诫勉谈话", "情节较轻", "2026-11-02", "走访不实", None],
            [None, None, "pairing", "批评教育", "情节较轻", "2026-12-02", "走访不实", None],
            [None, None, "pairing", "批评教育", "情节较轻", "2026-11-02", "走访不实", "2026-11-03"],
        ],
    )
    report = _import(inspector, "accountability", source)
    messages = _messages(report)
    assert len(messages) == 6, messages
    assert messages[0].startswith("第2行「问责方式」列：第四十三条")
    assert messages[1] == "第3行：单位、村、个人须填写且只填写一项"
    assert messages[2].startswith("第4行「村」列")
    assert messages[3] == "第5行「村」列：没有村「北村」"
    assert messages[4] == "第6行「决定日期」列：日期晚于今天"
    assert messages[5].startswith("第7行「移送情况」列")
    assert not Accountability.objects.exists()


def test_a_recorded_reason_is_corrected_and_the_severity_kept(tmp_path, inspector, pairing):
    accountability_record(
        measure="批评教育",
        severity="情节较轻",
        decided_on=D(2026, 11, 2),
        reason="走访不实",
        user=inspector,
        cadre=pairing.cadre,
    )
    rows = [[None, None, "pairing", "批评教育", "情节较轻", "2026-11-02", "走访记录不实"]]
    report = _import(inspector, "accountability", workbook(tmp_path / "a.xlsx", HEADERS, rows))
    assert (report.ok, report.updated) == (True, 1)
    assert Accountability.objects.get().reason == "走访记录不实"
    rows[0][4] = "情节较重"
    report = _import(inspector, "accountability", workbook(tmp_path / "b.xlsx", HEADERS, rows))
    assert _messages(report) == ["第2行「情节」列：已登记为「情节较轻」，台账不能修改"]


def test_commendations_import_pending_approval(tmp_path, inspector, leader, east):
    source = workbook(
        tmp_path / "c.xlsx",
        ["单位", "村", "个人", "表彰日期", "主要事迹"],
        [
            ["民政科", None, None, "2026-11-02", "救急难及时"],
            [None, "东村", None, 20261103, "走访扎实"],
        ],
    )
    report = _import(inspector, "commendations", source)
    assert report.ok and report.created == 2, report.lines()
    assert Commendation.objects.filter(approved_at__isnull=True).count() == 2
    assert Commendation.objects.get(village=east).reason == "走访扎实"


def test_a_leader_may_not_import_commendations(tmp_path, leader):
    with pytest.raises(LedgerError):
        _import(leader, "commendations", workbook(tmp_path / "c.xlsx", HEADERS, []))


@pytest.mark.parametrize("name", ["accountability", "commendations"])
def test_a_round_trip_changes_nothing(tmp_path, inspector, leader, pairing, east, name):
    accountability_record(
        measure="诫勉谈话",
        severity="情节较轻",
        decided_on=D(2026, 11, 2),
        reason="=走访不实",
        user=inspector,
        cadre=pairing.cadre,
        referred_on=D(2026, 11, 5),
        referral="移送镇纪委",
    )
    accountability_record(
        measure="通报批评",
        severity="情节较重",
        decided_on=D(2026, 11, 3),
        reason="台账缺失",
        user=inspector,
        department=Department.objects.get(name="民政科"),
    )
    commendation_record(reason="走访扎实", awarded_on=D(2026, 11, 2), village=east)
    approved = commendation_record(
        reason="救急难及时", awarded_on=D(2026, 11, 3), cadre=pairing.cadre
    )
    commendation_approve(commendation=approved, by=leader)
    model = Accountability if name == "accountability" else Commendation
    before = _snapshot(model)
    out = tmp_path / "export.xlsx"
    assert export_ledger(get_kind(name)(inspector), out) == 2
    report = _import(inspector, name, out)
    assert (report.ok, report.created, report.updated, report.unchanged) == (True, 0, 0, 2)
    assert _snapshot(model) == before


def test_the_export_names_the_subject(tmp_path, inspector, pairing):
    accountability_record(
        measure="诫勉谈话",
        severity="情节较轻",
        decided_on=D(2026, 11, 2),
        reason="走访不实",
        user=inspector,
        cadre=pairing.cadre,
    )
    out = tmp_path / "export.xlsx"
    export_ledger(get_kind("accountability")(inspector), out)
    rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    record = dict(zip(rows[2], rows[3], strict=True))
    assert (record["个人"], record["个人姓名"], record["录入人"]) == (
        "pairing",
        "pairing",
        "inspector",
    )
    assert record["决定日期"] == datetime.datetime(2026, 11, 2)
