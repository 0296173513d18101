"""One rule, one message: the checks of `visits.checks` refuse the same bad visit with the same
words through `visit_record` (the quick entry, the admin) and through the `visits` ledger."""

import datetime

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from duties.organisation.services import cadre_save
from visits.models import Visit
from visits.services import visit_record
from xigang.ledgers import get_kind, import_ledger

D = datetime.date


def _refused(tmp_path, office, household, cadre, username, on) -> tuple[dict, tuple[str, str]]:
    """The service's error by field, and the ledger's (header, message), for one visit."""
    with pytest.raises(ValidationError) as error:
        visit_record(household=household, cadre=cadre, kind=Visit.Kind.HOME, on=on)
    book = openpyxl.Workbook()
    book.active.append(["户编号", "帮扶责任人", "方式", "日期"])
    book.active.append([household.number, username, "入户", on])
    book.save(tmp_path / "visits.xlsx")
    report = import_ledger(get_kind("visits")(office), tmp_path / "visits.xlsx")
    assert not report.written and len(report.errors) == 1, report.lines()
    assert not Visit.objects.exists()
    return error.value.message_dict, (report.errors[0].header, report.errors[0].message)


def test_a_visit_in_the_future(tmp_path, office, pairing, east_household):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    service, ledger = _refused(tmp_path, office, east_household, pairing.cadre, "pairing", tomorrow)
    assert service == {"on": [f"日期 {tomorrow} 晚于今天"]}
    assert ledger == ("日期", service["on"][0])


def test_a_visit_by_a_cadre_not_paired_that_day(tmp_path, office, east_household):
    zhao = cadre_save(username="zhao", name="赵六", roles=["帮扶责任人"])
    service, ledger = _refused(tmp_path, office, east_household, zhao, "zhao", D(2026, 3, 2))
    # the cadre by name in both, though the ledger's row gives the user name
    assert service == {"cadre": ["2026-03-02 当天 赵六 未与贫困户 东村-001 结对帮扶"]}
    assert ledger == ("帮扶责任人", service["cadre"][0])
