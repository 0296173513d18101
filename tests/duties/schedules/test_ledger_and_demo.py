"""The obligations ledger (export only, scoped) and the demo's obligations."""

import datetime
import random

import openpyxl
import pytest

from duties.models import Disclosure, Obligation
from duties.schedules.services import obligation_complete
from tests.conftest import SHANGHAI
from xigang.ledgers import LedgerError, export_ledger, get_kind, import_ledger

pytestmark = pytest.mark.django_db

D = datetime.date


def _rows(path):
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    header = rows[2]
    return [dict(zip(header, row, strict=True)) for row in rows[3:]]


def test_the_ledger_lists_the_users_units_only_and_refuses_import(
    tmp_path, dept, civil_may, finance_q2, east_q2, time_machine
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    # Half an hour into May in Shanghai (still April 30th in UTC): April's obligation is late.
    time_machine.move_to(datetime.datetime(2026, 5, 1, 0, 30, tzinfo=SHANGHAI))

    obligation_complete(
        obligation=civil_may, user=dept, files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4\n")]
    )
    target = tmp_path / "obligations.xlsx"
    count = export_ledger(get_kind("obligations")(dept), target)
    rows = _rows(target)
    assert count == len(rows) > 1
    assert {r["责任单位"] for r in rows} == {"民政科"}
    may = next(r for r in rows if r["周期"] == "2026-05" and r["条款"] == "第十五条第2项")
    assert may["状态"] == "已完成" and may["完成人"] == "dept" and may["完成时间"]
    assert may["完成期限"] == datetime.datetime(2026, 5, 31)
    april = next(r for r in rows if r["周期"] == "2026-04" and r["条款"] == "第十五条第2项")
    assert april["状态"] == "已逾期" and april["完成人"] is None
    with pytest.raises(LedgerError, match="只能导出"):
        import_ledger(get_kind("obligations")(dept), target)


def test_units_without_the_permission_may_not_export(tmp_path, pairing):
    with pytest.raises(LedgerError):
        export_ledger(get_kind("obligations")(pairing), tmp_path / "x.xlsx")


def test_the_demo_marks_a_deterministic_mix(east, west, office, east_cadre):
    from duties.schedules import demo as schedule_demo

    as_of = D(2026, 6, 30)
    schedule_demo.seed(rng=random.Random("2019:duties.schedule_demo"), scale="tiny", as_of=as_of)
    due = Obligation.objects.filter(due__lt=as_of)
    done = due.filter(status="done")
    late = [o for o in done if o.completed_at.date() > o.due]
    on_time = [o for o in done if o.completed_at.date() <= o.due]
    missing = due.filter(status="open").count()
    waived = due.filter(status="waived").count()
    total = due.count()
    assert 0.6 < len(on_time) / total < 0.85
    assert 0.05 < len(late) / total < 0.25
    assert 0.03 < missing / total < 0.25
    assert waived >= 1
    assert all(o.completed_at.date() < as_of for o in done)
    assert Disclosure.objects.filter(village=east).exists()
    first = list(Obligation.objects.order_by("id").values_list("status", flat=True))
    # the same seed gives the same data
    Obligation.objects.all().delete()
    Disclosure.objects.all().delete()
    schedule_demo.seed(rng=random.Random("2019:duties.schedule_demo"), scale="tiny", as_of=as_of)
    assert list(Obligation.objects.order_by("id").values_list("status", flat=True)) == first
